"""How a crawl gets its history: from the database when it can be read, else from the snapshot that every
ingest writes beside it (``history_snapshot``), else not at all, loudly (``HistoryUnavailable``).

Reading needs only a read-only connection, which DuckDB grants beside analysts' read-only connections;
while a writer holds the file the snapshot is used. Listings found by runs still staged (their ingest was
locked out) are added, so a crawl revisits them too.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from marketplace_spiders.storage.errors import DatabaseLocked, DatabaseUnreadable, HistoryUnavailable, is_lock_error
from marketplace_spiders.storage.history_snapshot import CrawlHistory, read_from_database, read_snapshot, snapshot_file

log = logging.getLogger(__name__)

# Bytes before a DuckDB file's first block: its main header and two database headers (4 KiB each; measured on
# DuckDB 2.0: file size = 12,288 + block_size x total_blocks).
_FILE_HEADERS = 3 * 4096

# Columns of a tracked listing that a staged listing observation can give.
_STAGED_COLUMNS = ("product_id", "url", "description_hash", "country_of_origin", "manufacturer", "category",
                   "seller_id", "listing_status", "observed_at")


def check_readable(path: Path) -> None:
    """Raise ``DatabaseUnreadable`` when ``path`` exists but is no readable DuckDB database (truncated,
    corrupted, another kind of file). A locked file is readable as far as this check can tell."""
    if not path.exists():
        return
    problem = None
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            # the used blocks, not total_blocks: free blocks at the end of the file are not written out (a database
            # whose last tables were replaced is shorter than total_blocks x block_size, and perfectly sound)
            block_size, blocks = con.execute("SELECT block_size, used_blocks FROM pragma_database_size() "
                                             "WHERE database_name = current_database()").fetchone()
            expected = _FILE_HEADERS + block_size * blocks
            size = path.stat().st_size
            wal = path.with_name(path.name + ".wal")
            if size < expected and not wal.exists():  # DuckDB reads blocks lazily: a cut file opens fine
                problem = f"truncated: {size:,} bytes where its header counts {expected:,}"
            elif "crawl_runs" in {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}:
                con.execute("SELECT * FROM crawl_runs").fetchall()  # small, and it reads real blocks
    except duckdb.Error as exc:
        if is_lock_error(exc):
            return
        problem = str(exc).splitlines()[0]
    if problem:
        raise DatabaseUnreadable(
            f"the database {path} cannot be read ({problem}); nothing was crawled. Restore it from a backup or "
            "move it away (a new one is created), then crawl again")


def load_crawl_history(path: Path, connect: Callable[..., duckdb.DuckDBPyConnection], marketplace: str,
                       staging_root: Path | None = None) -> CrawlHistory:
    """The history of ``marketplace`` (see the module docstring). ``connect(read_only=True)`` opens the
    database, retrying while it is locked; ``DatabaseLocked`` from it means "use the snapshot"."""
    history = _from_database_or_snapshot(path, connect, marketplace)
    if staging_root is not None:
        _add_staged_listings(history, staging_root, marketplace)
    return history


def _from_database_or_snapshot(path: Path, connect: Callable[..., duckdb.DuckDBPyConnection],
                               marketplace: str) -> CrawlHistory:
    if not path.exists():
        return CrawlHistory(marketplace, "empty")
    try:
        con = connect(read_only=True)
    except DatabaseLocked as exc:
        snapshot = read_snapshot(path, marketplace)
        if snapshot is None:
            raise HistoryUnavailable(
                f"{exc} and there is no history snapshot ({snapshot_file(path, marketplace)}): the tracked listings "
                "are unknown, so the run cannot check them") from exc
        log.warning("database %s locked (%s); crawl history of %s read from its snapshot written at %s "
                    "(last run %s)", path, exc, marketplace, snapshot.written_at, snapshot.last_run_id)
        return snapshot
    except duckdb.Error as exc:
        raise DatabaseUnreadable(f"the database {path} cannot be read: {str(exc).splitlines()[0]}") from exc
    try:
        return read_from_database(con, marketplace)
    except duckdb.Error as exc:
        raise DatabaseUnreadable(f"the database {path} cannot be read: {str(exc).splitlines()[0]}") from exc
    finally:
        con.close()


def _staged_observations(run_dir: Path) -> list[dict]:
    rows: list[dict] = []
    for part in sorted(run_dir.glob("listing_observations-*.parquet")):
        rows.extend(pq.read_table(part, columns=list(_STAGED_COLUMNS)).to_pylist())
    for journal in sorted(run_dir.glob("listing_observations-*.jsonl")):
        for line in journal.read_text("utf-8", errors="replace").splitlines():
            try:
                raw = json.loads(line)
            except ValueError:
                continue
            rows.append({name: raw.get(name) for name in _STAGED_COLUMNS})
    return rows


def _add_staged_listings(history: CrawlHistory, staging_root: Path, marketplace: str) -> None:
    """Listings listed in runs of ``marketplace`` still staged, not yet in the database or its snapshot."""
    if not staging_root.is_dir():
        return
    known = {row["product_id"] for row in history.tracked}
    added: dict[str, dict] = {}
    for run_dir in sorted(p for p in staging_root.iterdir() if p.is_dir() and p.name.startswith(f"{marketplace}-")):
        try:
            observations = _staged_observations(run_dir)
        except (OSError, ValueError) as exc:
            log.warning("staged run %s unreadable for its listings: %s", run_dir.name, exc)
            continue
        for row in observations:
            if row.get("listing_status") != "listed" or row["product_id"] in known:
                continue
            product = added.setdefault(row["product_id"], dict.fromkeys(_STAGED_COLUMNS[:7]))
            product["product_id"] = row["product_id"]
            product.update({k: v for k, v in row.items() if k not in ("listing_status", "observed_at") and v})
    for product in added.values():
        product.setdefault("content_fetched_at", None)  # unknown: its content is fetched again
        history.tracked.append(product)
    if added:
        log.info("%d listing(s) of %s known only from staged runs added to the revisits", len(added), marketplace)
