"""The crawl history snapshot: what a crawl needs from the database, in a file that needs no lock.

A crawl starts by reading its marketplace's tracked listings (to revisit every one of them), the status and
search results of its recent runs (for run-health checks) and the sellers it already knows. DuckDB cannot
open the file while another process writes it, so every ingest, after its commit and while it still holds
the write lock, also writes that history here:

    <db>.history/<marketplace>.json   {"format", "marketplace", "written_at", "last_run_id", "run_count",
                                       "columns": {"tracked": {name: DuckDB type}},
                                       "tracked": [...], "run_history": [...], "known_sellers": {...}}
    <db>.history/index.json           {"format", "written_at", "marketplaces": {name: run_count}}

Each file also names the database it describes: its ``database_identity`` id (schema 042) and the file's
device and inode. A writer that finds snapshots of another database (the file was deleted and created again)
rewrites them all; a reader that finds the file's inode changed ignores them.

Files are replaced atomically (temp file, fsync, rename): a reader sees the old or the new snapshot, never
half of one. Only writers holding the database's write lock write snapshots, so a snapshot is never older
than the last ingest that wrote one. ``read_snapshot`` needs nothing but the files (a worker on another
machine can read a copy). ``index.json`` tells "this marketplace has no runs" (empty history) apart from
"no snapshot was written" (unknown history).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from marketplace_spiders.sql import query

log = logging.getLogger(__name__)

FORMAT = 1
INDEX = "index.json"


@dataclass
class CrawlHistory:
    """What a crawl reads before it starts, and where it came from."""

    marketplace: str
    source: str
    """database | snapshot | empty (no database file yet, or no run of this marketplace)"""
    tracked: list[dict] = field(default_factory=list)
    run_history: list[dict] = field(default_factory=list)
    known_sellers: dict[str, datetime] = field(default_factory=dict)
    written_at: str | None = None
    """For a snapshot: when it was written (UTC ISO)."""
    last_run_id: str | None = None
    run_count: int = 0
    tracked_types: dict[str, str] = field(default_factory=dict)
    """DuckDB type of each tracked-listing column (how a snapshot turns ISO strings back into datetimes)."""


def snapshot_dir(db_path: str | Path) -> Path:
    db_path = Path(db_path)
    return db_path.with_name(db_path.name + ".history")


def snapshot_file(db_path: str | Path, marketplace: str) -> Path:
    if not marketplace or "/" in marketplace or marketplace.startswith("."):
        raise ValueError(f"not a marketplace name: {marketplace!r}")
    return snapshot_dir(db_path) / f"{marketplace}.json"


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute(query("user_tables")).fetchall()}


def read_from_database(con: duckdb.DuckDBPyConnection, marketplace: str, runs: int = 10,
                       before_run: str | None = None) -> CrawlHistory:
    """The history of ``marketplace`` as the database holds it (read-only is enough); with ``before_run``, as it
    held it before that run started (only runs that started earlier count: a reparse of that run reads it)."""
    if not {"crawl_runs", "listings", "listing_observations", "fetches", "seller_observations"} <= _tables(con):
        return CrawlHistory(marketplace, "empty")
    bound = {"marketplace": marketplace, "before_run": before_run}
    cur = con.execute(query("tracked_listings"), bound)
    cols = [d[0] for d in cur.description]
    types = {d[0]: str(d[1]) for d in cur.description}  # now: the connection is the cursor of its next query
    tracked = [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]
    history: dict[str, dict] = {}
    for run_id, status, _started, term, items in con.execute(query("run_history"), {**bound, "runs": runs}).fetchall():
        run = history.setdefault(run_id, {"run_id": run_id, "status": status, "items_per_term": {}})
        run["items_per_term"][term] = items
    sellers = dict(con.execute(query("known_sellers"), bound).fetchall())
    count, last = con.execute(query("marketplace_run_count"), bound).fetchone()
    return CrawlHistory(marketplace, "database" if count else "empty", tracked, list(history.values()), sellers,
                        last_run_id=last, run_count=count, tracked_types=types)


def _write_atomic(path: Path, value: dict) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(value, fh, ensure_ascii=False, default=_iso)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _iso(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _file_identity(db_path: str | Path) -> list[int] | None:
    try:
        found = Path(db_path).stat()
    except OSError:
        return None
    return [found.st_dev, found.st_ino]


def _database_id(con: duckdb.DuckDBPyConnection) -> str | None:
    if "database_identity" not in _tables(con):
        return None
    row = con.execute(query("database_id")).fetchone()
    return row[0] if row else None


def _read_json(path: Path) -> dict | None:
    try:
        value = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def index_matches(con: duckdb.DuckDBPyConnection, db_path: str | Path) -> bool:
    """True when the snapshot index beside ``db_path`` describes this database file."""
    index = _read_json(snapshot_dir(db_path) / INDEX)
    return bool(index) and index.get("format") == FORMAT and index.get("database_id") == _database_id(con) \
        and index.get("database_file") == _file_identity(db_path)


def write_snapshots(con: duckdb.DuckDBPyConnection, db_path: str | Path, marketplaces: Iterable[str]) -> list[str]:
    """Write the snapshot of each of ``marketplaces`` (and of every marketplace with runs but no snapshot
    yet; of all of them when the snapshots describe another database), then the index. Call only while
    holding the database's write lock, after the commit.

    When a snapshot cannot be written, its old file is removed (a stale snapshot would make a locked crawl
    revisit too little) and the error is raised."""
    folder = snapshot_dir(db_path)
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC).replace(tzinfo=None).isoformat()
    counts = dict(con.execute(query("runs_per_marketplace")).fetchall()) \
        if "crawl_runs" in _tables(con) else {}
    database_id, database_file = _database_id(con), _file_identity(db_path)
    if not index_matches(con, db_path):  # another database's snapshots (or none): none of them is kept
        (folder / INDEX).unlink(missing_ok=True)
        for old in folder.glob("*.json"):
            old.unlink()
    wanted = set(marketplaces) | {m for m in counts if not snapshot_file(db_path, m).exists()}
    written = []
    for marketplace in sorted(wanted):
        history = read_from_database(con, marketplace)
        target = snapshot_file(db_path, marketplace)
        try:
            _write_atomic(target, {
                "format": FORMAT, "marketplace": marketplace, "written_at": now,
                "database_id": database_id, "database_file": database_file,
                "last_run_id": history.last_run_id, "run_count": history.run_count,
                "columns": {"tracked": history.tracked_types},
                "tracked": history.tracked, "run_history": history.run_history,
                "known_sellers": history.known_sellers,
            })
        except OSError:
            target.unlink(missing_ok=True)
            (folder / INDEX).unlink(missing_ok=True)
            raise
        written.append(marketplace)
    try:
        _write_atomic(folder / INDEX, {"format": FORMAT, "written_at": now, "database_id": database_id,
                                       "database_file": database_file, "marketplaces": counts})
    except OSError:
        (folder / INDEX).unlink(missing_ok=True)
        raise
    return written


def _parse_time(value: object) -> datetime | None:
    return datetime.fromisoformat(str(value)) if value is not None else None


def read_snapshot(db_path: str | Path, marketplace: str) -> CrawlHistory | None:
    """The snapshot of ``marketplace``; an empty history when the index says it has no runs; None when no
    snapshot tells (none written yet, or unreadable: never guessed)."""
    folder = snapshot_dir(db_path)
    here = _file_identity(db_path)
    try:
        data = json.loads(snapshot_file(db_path, marketplace).read_text("utf-8"))
    except FileNotFoundError:
        index = _read_json(folder / INDEX)
        if index and index.get("format") == FORMAT and index.get("database_file") == here \
                and not index.get("marketplaces", {}).get(marketplace):
            return CrawlHistory(marketplace, "empty", written_at=index.get("written_at"))
        return None
    except (OSError, ValueError) as exc:
        log.error("history snapshot of %s unreadable: %s", marketplace, exc)
        return None
    if data.get("format") != FORMAT or data.get("marketplace") != marketplace:
        log.error("history snapshot %s is not a format-%d snapshot of %s", folder, FORMAT, marketplace)
        return None
    if data.get("database_file") != here:
        log.error("history snapshot %s describes another database file (device/inode %s, now %s): not used",
                  folder, data.get("database_file"), here)
        return None
    stamps = [name for name, kind in data.get("columns", {}).get("tracked", {}).items() if kind.startswith("TIMESTAMP")]
    tracked = data["tracked"]
    for row in tracked:
        for name in stamps:
            row[name] = _parse_time(row.get(name))
    sellers = {seller: _parse_time(at) for seller, at in data["known_sellers"].items()}
    return CrawlHistory(marketplace, "snapshot", tracked, data["run_history"], sellers,  # type: ignore[arg-type]
                        written_at=data.get("written_at"), last_run_id=data.get("last_run_id"),
                        run_count=int(data.get("run_count") or 0))
