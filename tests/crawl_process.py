"""Test helpers: run the real `scrapy crawl` in a subprocess, tamper copies of the bundled recordings, read DuckDB."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
from sample_files import fixtures_of

ROOT = Path(__file__).resolve().parents[1]
SCRAPY = str(Path(sys.executable).with_name("scrapy"))
WB_RUNS = fixtures_of("wildberries") / "timeline"


@dataclass
class Crawl:
    returncode: int
    stdout: str
    stderr: str
    seconds: float


def crawl(spider: str, *settings: str, args: tuple[str, ...] = (), env: dict | None = None,
          timeout: float = 120) -> Crawl:
    """``scrapy crawl <spider> -s NAME=value ...`` from the project root, timed."""
    command = [SCRAPY, "crawl", spider, *args]
    for setting in settings:
        command += ["-s", setting]
    started = time.monotonic()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                            env={**os.environ, **(env or {})})
    return Crawl(result.returncode, result.stdout, result.stderr, time.monotonic() - started)


def replay(recording: Path, db: Path, *settings: str, timeout: float = 120) -> Crawl:
    return crawl("wildberries", f"REPLAY_DIR={recording}", f"DUCKDB_PATH={db}", *settings, timeout=timeout)


def copy_run(tmp_path: Path, run: str = "run-1") -> Path:
    """A copy of a bundled Wildberries recording that a test may tamper with."""
    target = tmp_path / "recording"
    shutil.copytree(WB_RUNS / run, target)
    return target


def entries(recording: Path) -> list[dict]:
    return [json.loads(line) for line in (recording / "responses.jsonl").read_text("utf-8").splitlines()]


def write_entries(recording: Path, lines: list[dict | bytes | str]) -> None:
    """Rewrite ``responses.jsonl``: dicts as JSON lines, bytes/str exactly as given (for malformed lines)."""
    raw = b""
    for line in lines:
        if isinstance(line, dict):
            line = json.dumps(line, ensure_ascii=False)
        raw += (line.encode("utf-8") if isinstance(line, str) else line) + b"\n"
    (recording / "responses.jsonl").write_bytes(raw)


def line_of(recording: Path, url_part: str) -> int:
    """The 1-based line number of the entry whose URL contains ``url_part``."""
    (number,) = [n for n, entry in enumerate(entries(recording), start=1) if url_part in entry["url"]]
    return number


def query(db: Path, sql: str, *params: object) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def last_run(db: Path) -> tuple:
    """(status, status_reasons, request_count, error_count) of the latest run."""
    (row,) = query(db, "SELECT status, coalesce(status_reasons, ''), request_count, error_count FROM crawl_runs "
                       "ORDER BY started_at DESC, run_id DESC LIMIT 1")
    return row


def closed_port() -> int:
    """A 127.0.0.1 port with nothing listening (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
