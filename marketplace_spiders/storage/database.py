"""The one component that owns the DuckDB connection.

Crawls never write DuckDB row by row. A run is staged as Parquet files (``staging.RunStager``)
and ingested here in one transaction, so analysts never see half a run and a locked
database only delays the write. DuckDB locks fail at once instead of waiting, so opening
retries with backoff until a deadline.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from marketplace_spiders.classify.history import classify_pending_runs
from marketplace_spiders.core_config import StorageConfig
from marketplace_spiders.sql import append_rows, query, sql_files, statements, transaction
from marketplace_spiders.storage import derivations, history_snapshot, run_owner
from marketplace_spiders.storage.errors import DatabaseLocked, DatabaseUnreadable, HistoryUnavailable, is_lock_error
from marketplace_spiders.storage.history_loader import load_crawl_history
from marketplace_spiders.storage.history_snapshot import CrawlHistory
from marketplace_spiders.storage.settings_check import (
    REFRESH_MEMORY_LIMIT,
    checked_database_path,
    checked_memory_limit,
    megabytes,
    set_memory_limit,
)
from marketplace_spiders.storage.staging import journals_to_parquet, recover_crashed_run

__all__ = ["REFRESH_MEMORY_LIMIT", "CrawlHistory", "Database", "DatabaseLocked", "DatabaseUnreadable",
           "HistoryUnavailable", "append_rows", "refresh_analysis", "staging_root_for", "transaction"]

log = logging.getLogger(__name__)

# Tables a run stages, in the order they are ingested.
STAGED_TABLES = (
    "fetches",
    "search_hits",
    "descriptions",
    "listing_observations",
    "seller_observations",
)


# The analysis views materialised as tables (storage/queries/refresh_analysis.sql; the *_live views
# compute the same rows).
MATERIALISED_VIEWS = ("current_listings", "price_changes", "availability_spells")


def refresh_analysis(con: duckdb.DuckDBPyConnection) -> None:
    """Rebuild the materialised analysis tables from their *_live views (inside the caller's transaction).

    A database written before they were tables has views of these names: those are dropped first."""
    for name in MATERIALISED_VIEWS:
        if con.execute(query("user_view_exists"), [name]).fetchone():
            con.execute(f"DROP VIEW {name}")
    for statement in statements(query("refresh_analysis")):
        con.execute(statement)


def _materialised_tables_missing(con: duckdb.DuckDBPyConnection) -> bool:
    found = {r[0] for r in con.execute(query("user_tables")).fetchall()}
    return not set(MATERIALISED_VIEWS) <= found


_megabytes = megabytes  # the name this module used before settings_check existed


class Database:
    """A DuckDB file with the project's schema.

    ``lock_timeout`` is how long to keep retrying when another process holds the file. The path and the
    memory limits are checked here (a ValueError before any crawl): ``:memory:`` is refused, and a limit
    must be a memory size ('256MB', '1GiB'); limits reach DuckDB as bound parameters, never as SQL text.
    """

    def __init__(self, path: str | Path, lock_timeout: float = 60.0, memory_limit: str | None = None,
                 refresh_memory_limit: str | None = REFRESH_MEMORY_LIMIT):
        self.path = checked_database_path(path)
        self.lock_timeout = lock_timeout
        self.memory_limit = checked_memory_limit(memory_limit, "DUCKDB_INGEST_MEMORY_LIMIT")
        """DuckDB ``memory_limit`` of this object's connections (e.g. "256MB"); None = DuckDB's default."""
        self.refresh_memory_limit = checked_memory_limit(refresh_memory_limit, "DUCKDB_REFRESH_MEMORY_LIMIT")
        """DuckDB ``memory_limit`` of the analysis refresh after an ingest (see ``refresh_bounded``)."""
        self.last_duplicate_of: str | None = None
        """After ``ingest_run`` returned False for a replay of a recording already ingested: that run's id."""
        self._histories: dict[str, CrawlHistory | Exception] = {}

    @classmethod
    def from_settings(cls, settings: Any = None, *, path: str | Path | None = None,
                      environ: Mapping[str, str] | None = None) -> Database:
        """The one way to open the database from settings (Scrapy ``Settings`` or a mapping; None = none): the
        crawl (spider and pipeline), every command and the ingest child build it here, so DUCKDB_PATH (env
        MONITOR_DB), DUCKDB_LOCK_TIMEOUT, DUCKDB_INGEST_MEMORY_LIMIT and DUCKDB_REFRESH_MEMORY_LIMIT apply
        everywhere. ``path``: a file named on a command line (``--db``), instead of DUCKDB_PATH."""
        return cls.from_config(StorageConfig.from_settings(settings, environ), path=path)

    @classmethod
    def from_config(cls, config: StorageConfig, *, path: str | Path | None = None) -> Database:
        """The database of a :class:`~marketplace_spiders.core_config.StorageConfig` (``path`` overrides its
        file)."""
        return cls(config.path if path is None else path, lock_timeout=config.lock_timeout,
                   memory_limit=config.ingest_memory_limit, refresh_memory_limit=config.refresh_memory_limit)

    def storage_settings(self) -> dict[str, str]:
        """This database's storage settings as ``-s`` values (for the ingest child, which builds the same
        database with :meth:`from_settings`)."""
        return {"DUCKDB_PATH": str(self.path), "DUCKDB_LOCK_TIMEOUT": repr(float(self.lock_timeout)),
                "DUCKDB_INGEST_MEMORY_LIMIT": self.memory_limit or "",
                "DUCKDB_REFRESH_MEMORY_LIMIT": self.refresh_memory_limit or ""}

    # -- connections -------------------------------------------------------------------
    def connect(self, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + self.lock_timeout
        delay = 0.05
        while True:
            try:
                config = {"memory_limit": self.memory_limit} if self.memory_limit else {}
                return duckdb.connect(str(self.path), read_only=read_only, config=config)
            except duckdb.Error as exc:  # IOException on lock
                if not is_lock_error(exc) or time.monotonic() >= deadline:
                    if is_lock_error(exc):
                        raise DatabaseLocked(f"{self.path} stayed locked for {self.lock_timeout:.0f}s") from exc
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 2.0)

    def refresh_bounded(self, con: duckdb.DuckDBPyConnection) -> None:
        """``refresh_analysis`` in a transaction of its own, under ``refresh_memory_limit``.

        When DuckDB runs out of memory under it, the refresh is rolled back and tried again with twice the
        limit (three tries in all), then with the connection's own limit: a large first run costs memory, never
        its refresh. The connection's ``memory_limit`` is restored afterwards."""
        limits = []
        if self.refresh_memory_limit:
            base = megabytes(self.refresh_memory_limit)
            # the connection's own limit as DuckDB reads it ("1.8 GiB"), whatever spelling it was given in
            ceiling = (megabytes(con.execute("SELECT current_setting('memory_limit')").fetchone()[0])
                       if self.memory_limit else float("inf"))
            limits = [f"{base * 2**k:.0f}MB" for k in range(3) if base * 2**k < ceiling]
        try:
            for limit in limits:
                try:
                    set_memory_limit(con, limit)  # fails too if DuckDB holds more than that
                    with transaction(con):
                        refresh_analysis(con)
                    return
                except duckdb.OutOfMemoryException as exc:
                    log.warning("analysis refresh needs more memory than %s; trying again with more (%s)",
                                limit, str(exc).splitlines()[0])
            self._restore_memory_limit(con)
            with transaction(con):
                refresh_analysis(con)
        finally:
            self._restore_memory_limit(con)

    def after_ingest(self, con: duckdb.DuckDBPyConnection) -> None:
        """What follows a run's commit, in this order, each step in transactions of its own:

        1. the classification of every run not classified yet (claims, origin signals, entity matches, verdict
           per text version; appended and committed in chunks so a large first run does not hold its rows in
           one transaction: ``marketplace_spiders.classify.history.classify_pending_runs``);
        2. the refresh of the materialised analysis tables, which read the verdicts (``refresh_bounded``).

        Until the refresh commits, the tables show the previous consistent state. Both steps are no-ops or
        rebuilds of derived rows when already done, so a run ingested again after a crash finishes them."""
        classify_pending_runs(con)
        self.refresh_bounded(con)

    def _restore_memory_limit(self, con: duckdb.DuckDBPyConnection) -> None:
        if self.memory_limit:
            set_memory_limit(con, self.memory_limit)
        else:
            con.execute("RESET memory_limit")

    @contextmanager
    def session(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        con = self.connect(read_only=read_only)
        try:
            if not read_only:
                self.migrate(con)
                if not history_snapshot.index_matches(con, self.path):
                    # a new database, one from before snapshots, or one created again where another was:
                    # say what it holds, while the write lock is ours
                    self.write_snapshots(con, [])
            yield con
        finally:
            con.close()

    # -- schema ------------------------------------------------------------------------
    @staticmethod
    def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
        """Apply schema files not applied yet (in name order), then (re)create all views, and build the
        materialised analysis tables when they do not exist yet."""
        con.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(name VARCHAR PRIMARY KEY, applied_at TIMESTAMP DEFAULT current_timestamp)"
        )
        done = {r[0] for r in con.execute("SELECT name FROM schema_migrations").fetchall()}
        applied = []
        for name, sql in sql_files("schema"):
            if name in done:
                continue
            with transaction(con):
                con.execute(sql)
                con.execute("INSERT INTO schema_migrations (name) VALUES (?)", [name])
            applied.append(name)
        for _name, sql in sql_files("views"):
            con.execute(sql)
        if _materialised_tables_missing(con):
            with transaction(con):
                refresh_analysis(con)
        return applied

    # -- reads for crawls --------------------------------------------------------------
    def crawl_history(self, marketplace: str, fresh: bool = False) -> CrawlHistory:
        """Tracked listings, recent runs and known sellers of ``marketplace``: from the database (a read-only
        connection, granted beside analysts' ones), from its snapshot while a writer holds it, plus listings
        of runs still staged (``history_loader``). Raises ``HistoryUnavailable`` (locked, no snapshot) or
        ``DatabaseUnreadable``. Kept per object: a crawl reads its history once."""
        if fresh or marketplace not in self._histories:
            try:
                self._histories[marketplace] = load_crawl_history(self.path, self.connect, marketplace,
                                                                  staging_root_for(self.path))
            except (HistoryUnavailable, DatabaseUnreadable) as exc:
                self._histories[marketplace] = exc  # asked again, it fails at once (no second lock wait)
        found = self._histories[marketplace]
        if isinstance(found, Exception):
            raise found
        return found

    def tracked_listings(self, marketplace: str) -> list[dict]:
        """Listings already known for a marketplace, with their latest content, for revisits ([] when the
        database does not exist yet)."""
        return self.crawl_history(marketplace).tracked

    def run_history(self, marketplace: str) -> list[dict]:
        """The last 10 runs' status and search results per term, oldest first (see run_history.sql)."""
        return self.crawl_history(marketplace).run_history

    def known_sellers(self, marketplace: str) -> dict[str, object]:
        """seller_id -> last observed_at, for deciding which seller documents are stale."""
        return self.crawl_history(marketplace).known_sellers

    def has_pending(self, staging_root: Path) -> bool:
        """True when ``staging_root`` holds a finished run not ingested yet, or one whose crawl died."""
        staging_root = Path(staging_root)
        if not staging_root.is_dir():
            return False
        return any(p.is_dir() and ((p / "run.json").exists() or run_owner.owner_is_dead(p))
                   for p in staging_root.iterdir())

    def write_snapshots(self, con: duckdb.DuckDBPyConnection, marketplaces: list[str]) -> None:
        """Refresh the history snapshots (``history_snapshot``) after a commit; a failure is logged (the
        stale snapshot is removed, so a crawl locked out later fails loudly instead of using it)."""
        try:
            history_snapshot.write_snapshots(con, self.path, marketplaces)
        except (OSError, duckdb.Error) as exc:
            log.error("history snapshot beside %s not written (%s): a crawl that finds the database locked "
                      "cannot start until the next ingest writes it", self.path, exc)

    # -- ingest ------------------------------------------------------------------------
    def ingest_run(self, run_dir: Path) -> bool:
        """Ingest one staged run in a single transaction; True if ingested, False if already there (the
        same run id, or a replay of a recording already ingested: ``last_duplicate_of`` names that run).

        Journals left by a write failure or a crash are turned into Parquet first. The staging folder is
        removed once its rows are committed; the history snapshot is rewritten after every ingest.
        """
        run_dir = Path(run_dir)
        run_file = run_dir / "run.json"
        if not run_file.exists():
            raise FileNotFoundError(f"{run_dir} has no run.json: the run is still in progress or crashed")
        run = json.loads(run_file.read_text("utf-8"))
        if derivations.is_reparse(run):  # "reparse_of": a new derivation of an ingested run (`scrapy reparse`)
            self.last_duplicate_of = None
            return derivations.ingest_derivation(self, run_dir).outcome == "written"
        self.last_duplicate_of = None
        journals_to_parquet(run_dir)
        with self.session() as con:
            exists = con.execute(query("run_exists"), [run["run_id"]]).fetchone()
            duplicate = None if exists or not run.get("recording_id") else con.execute(
                query("run_of_recording"), [run["recording_id"]]).fetchone()
            if exists or duplicate:
                if duplicate:
                    self.last_duplicate_of = duplicate[0]
                    log.warning("run %s replays recording %s, already ingested as run %s: not ingested again "
                                "(nothing doubled); removing its staging folder", run["run_id"],
                                run["recording_id"], duplicate[0])
                else:
                    log.info("run %s already ingested; removing its staging folder", run["run_id"])
                # the ingest may have stopped after its commit, before its classification or its refresh
                # committed: finish both (each is a no-op or a rebuild of derived rows when already done)
                self.after_ingest(con)
                self.write_snapshots(con, [run["marketplace"]])
                shutil.rmtree(run_dir, ignore_errors=True)
                return False
            with transaction(con):
                log.info("ingest of run %s started", run["run_id"])
                self._ingest_tables(con, run_dir, run["run_id"], run.get("parser_version"))
                con.execute(
                    query("insert_crawl_run"),
                    [
                        run["run_id"], run["marketplace"], run["started_at"], run.get("finished_at"),
                        run["status"], run.get("status_reasons"), run.get("request_count"),
                        run.get("item_count"), run.get("error_count"), run.get("blocked_count"),
                        run.get("replay", False), run.get("recording_id"), run.get("evidence_path"),
                        run.get("evidence_sha256"), run.get("evidence_tokens"),
                    ],
                )
                derivations.stamp_crawl(con, run["run_id"], run.get("parser_version"))
            self.after_ingest(con)
            self.write_snapshots(con, [run["marketplace"]])
        shutil.rmtree(run_dir, ignore_errors=True)
        return True

    def _ingest_tables(self, con: duckdb.DuckDBPyConnection, run_dir: Path, run_id: str,
                       parser_version: str | None = None) -> None:
        for table in STAGED_TABLES:
            files = sorted(run_dir.glob(f"{table}-*.parquet"))
            if not files:
                continue
            # file paths are bound, never pasted into the SQL (a quote in a folder name must not break it)
            src = "read_parquet($files, union_by_name = true)"
            params = {"files": [str(f) for f in files]}
            if table == "descriptions":  # one row per description version, the first time it was seen (by whom)
                con.execute(query("derivation_ingest_descriptions"),
                            {**params, "derivation": 0, "parser_version": parser_version})
                continue
            con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM {src}", params)
        for statement in statements(query("refresh_entities")):
            con.execute(statement, {"run_id": run_id})

    def ingest_pending(self, staging_root: Path) -> list[str]:
        """Ingest every finished run left in ``staging_root`` (oldest first).

        A run folder without ``run.json`` whose process is gone (a crash, ``kill -9``) is recovered first:
        its journaled rows are kept and the run is recorded as ``failed``.
        """
        staging_root = Path(staging_root)
        if not staging_root.exists():
            return []
        for run_dir in sorted(p for p in staging_root.iterdir() if p.is_dir()):
            if not (run_dir / "run.json").exists() and run_owner.owner_is_dead(run_dir):
                recover_crashed_run(run_dir)
        ingested = []
        for run_dir in sorted(p for p in staging_root.iterdir() if (p / "run.json").exists()):
            if self.ingest_run(run_dir):
                ingested.append(run_dir.name)
        return ingested


def staging_root_for(db_path: str | Path) -> Path:
    """Staged runs live beside the database file: ``<db>.staging/``."""
    db_path = Path(db_path)
    return db_path.with_name(db_path.name + ".staging")
