"""Which process owns a staged run folder, and whether it is still alive.

A crawl holds an exclusive ``flock`` on ``<run_dir>/owner.lock`` for as long as it runs; the kernel releases
it when the process dies in any way (``kill -9`` included), so "the lock can be taken" means "the owner is
gone", whatever process later reuses its PID. ``owner.lock`` also holds the owner's PID and start time for
people reading the folder. Folders staged before the lock existed have only a ``pid`` file: their owner is
alive only if that PID runs *and* that process started before the file was written (a PID reused by a later
process is not the owner).
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import IO

LOCK_FILE = "owner.lock"
PID_FILE = "pid"


def _boot_time() -> float | None:
    try:
        for line in Path("/proc/stat").read_text().splitlines():
            if line.startswith("btime "):
                return float(line.split()[1])
    except OSError:
        return None
    return None


def process_start_time(pid: int) -> float | None:
    """Epoch seconds at which process ``pid`` started (Linux /proc), None when unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()  # the command name may contain spaces and ')'
    boot = _boot_time()
    if boot is None:
        return None
    return boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")  # field 22 of stat: starttime in clock ticks


def claim(run_dir: Path) -> IO[str]:
    """Take ownership of ``run_dir`` for this process; keep the returned file open while the run lasts."""
    handle = open(run_dir / LOCK_FILE, "a+", encoding="utf-8")  # noqa: SIM115
    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    handle.truncate(0)
    handle.write(json.dumps({"pid": os.getpid(), "started_at": process_start_time(os.getpid())}))
    handle.flush()
    (run_dir / PID_FILE).write_text(str(os.getpid()))
    return handle


def owner_is_dead(run_dir: Path) -> bool:
    """True when no live process owns ``run_dir`` (its crawl crashed or was killed)."""
    lock = run_dir / LOCK_FILE
    if lock.exists():
        try:
            with open(lock, encoding="utf-8") as handle:
                try:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    return False
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
                return True
        except OSError:
            pass  # unreadable lock file: fall back to the PID
    return _legacy_owner_is_dead(run_dir / PID_FILE)


def _legacy_owner_is_dead(pid_file: Path) -> bool:
    try:
        pid = int(pid_file.read_text().strip())
        written = pid_file.stat().st_mtime
    except (OSError, ValueError):
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass
    started = process_start_time(pid)
    # a process that started after the pid file was written cannot be the one that wrote it
    return started is not None and started > written + 1.0
