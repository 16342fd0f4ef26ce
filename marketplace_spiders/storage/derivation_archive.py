"""Where a run's archive is: what ``scrapy reparse`` replays to derive the run again (``run_archive``).

The run's own WARC/WACZ folder under the evidence root, else the recording folder it was a replay of. Apart from
derivations.py because finding the archive is the command's concern, before any ingest, and needs nothing of the
database: this module imports nothing of the derivation code.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any


class ArchiveNotFound(LookupError):
    """No readable archive of the run: nothing to reparse it from (the reason names what was looked for)."""


@dataclass
class RunArchive:
    """What ``scrapy reparse`` replays for a run: ``path`` (``REPLAY_DIR``) and, for a recording replayed with
    ``REPLAY_OBSERVED_AT``, that time exactly as it was given (``observed_at``; None: the archive's own times)."""

    path: Path
    observed_at: str | None = None
    kind: str = "evidence"  # evidence | recording


def _time_spellings(started_at: datetime) -> list[str]:
    """How a ``REPLAY_OBSERVED_AT`` equal to the run's start was likely written (it is hashed as given)."""
    naive = started_at.replace(tzinfo=None)
    spellings = [naive.isoformat(), naive.isoformat() + "Z", naive.isoformat() + "+00:00",
                 naive.strftime("%Y-%m-%dT%H:%M:%SZ"), naive.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
                 naive.strftime("%Y-%m-%d")]
    return list(dict.fromkeys(spellings))


def run_archive(run: dict[str, Any], evidence_root: Path, recordings: Iterable[Path] = ()) -> RunArchive:
    """The archive a run is reparsed from: the one place that decides it.

    1. ``crawl_runs.evidence_path`` (the run's WARC/WACZ folder under the evidence root, written by every crawl
       since the archive exists): replayed as it is (its ``warcinfo`` gives the replay its times).
    2. Else a recording folder among ``recordings`` whose replay identity (``replay_identity.recording_id``) is
       the run's ``recording_id``: the run was a replay of it (the bundled timelines, before the archive). The
       identity hashes ``REPLAY_OBSERVED_AT`` as given, so the usual spellings of the run's start are tried.

    ``ArchiveNotFound`` when neither names an archive that exists."""
    from marketplace_spiders.storage.replay_identity import recording_id

    evidence_path = run.get("evidence_path")
    if evidence_path:
        folder = Path(evidence_root) / evidence_path
        if not folder.exists():
            raise ArchiveNotFound(f"the archive of run {run['run_id']} is missing: {folder} does not exist")
        return RunArchive(folder)
    wanted = run.get("recording_id")
    if not wanted or not str(wanted).startswith("sha256:"):
        raise ArchiveNotFound(f"run {run['run_id']} has no archive (crawl_runs.evidence_path is empty) and was no "
                              "replay of a recording folder")
    candidates = [Path(p) for p in recordings]
    spellings = [None, *_time_spellings(run["started_at"])]
    for folder in candidates:
        for observed_at in spellings:
            if recording_id(folder, observed_at) == wanted:
                return RunArchive(folder, observed_at, "recording")
    raise ArchiveNotFound(f"run {run['run_id']} has no archive (crawl_runs.evidence_path is empty) and none of the "
                          f"{len(candidates)} recording folder(s) searched is the recording it replayed "
                          f"({wanted}); name it with --archive")


def recording_folders(roots: Iterable[Path]) -> list[Path]:
    """Every recording folder (one holding ``responses.jsonl``) at or under each of ``roots``."""
    found: list[Path] = []
    for root in roots:
        root = Path(root)
        if (root / "responses.jsonl").is_file():
            found.append(root)
        elif root.is_dir():
            found += sorted(p.parent for p in root.rglob("responses.jsonl"))
    return list(dict.fromkeys(found))
