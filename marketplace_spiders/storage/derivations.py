"""Derivations: a run's rows read again from its archive by today's page objects (``scrapy reparse``).

A run's responses are the evidence; its rows are what the page objects of the day read from them. When a page
object is fixed, ``scrapy reparse --marketplace M [--run R]`` replays the run's archive through the fixed spider
(a child ``scrapy crawl M -s REPLAY_DIR=<archive> -s REPARSE_RUN=<run>``), which stages the rows as any crawl
does, with ``"reparse_of": <run>`` in its ``run.json``. ``ingest_derivation`` then writes them as derivation k+1
of the run, in ONE transaction:

1. the run's rows of derivation k (listing and seller observations, search hits, fetches, and its
   ``crawl_runs`` row) move to the schema ``superseded`` (same columns plus ``superseded_at`` and
   ``superseded_by_derivation``); a column added to a main table later is added there first
   (``sync_superseded_columns``);
2. the new rows are inserted and stamped with ``derivation`` and ``parser_version``; fetches that got no
   response (nothing to read again, but a fact of the run) are carried over, and the new fetches keep the old
   ones' archive record pointers (a reparse writes no archive);
3. the derivation is checked before anything commits: it must have read at least one response when the old one
   had, and only responses the run received (a response hash the run never had means the archive is not this
   run's). Otherwise the transaction is rolled back, the refusal is recorded in ``run_derivations`` and the
   old derivation stays exactly as it was;
4. listings and sellers touched by either derivation are recomputed from all their observations (a product id
   only the old parser read disappears); the diff (rows per table before/after, and per row the fields that
   changed, old -> new) is computed in SQL and stored in ``run_derivations.summary``, so ``scrapy reparse``
   prints it whichever process ingested;
5. the run's classification is undone, and every later run's too when the diff touches what later runs read
   from this one (``changes_what_later_runs_read``); ``classify_pending_runs`` redoes them after the commit
   (``Database.after_ingest``); the run row gets its new derivation, parser, status and counts.

The main tables thus always hold exactly the newest derivation of every run and every view reads it unchanged;
``superseded.*`` holds what every earlier parser said. A reparse must see the crawl history as it was when the
run happened (the listings it revisited and the content it copied from earlier runs): ``crawl_history_as_of``.

The diff of two derivations and its rendering are ``derivation_diff``; where a run's archive is (what ``scrapy
reparse`` replays) is ``derivation_archive``.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Iterable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

import duckdb

from marketplace_spiders.sql import query, statements, transaction
from marketplace_spiders.storage.derivation_diff import (
    POINTER_PREFIX,
    DerivationResult,
    _quote,
    columns,
    diff_derivation,
)
from marketplace_spiders.storage.history_snapshot import CrawlHistory, read_from_database
from marketplace_spiders.storage.staging import journals_to_parquet

log = logging.getLogger(__name__)

# Tables whose rows belong to one run and are replaced by a reparse, in ingest order.
RUN_TABLES = ("fetches", "search_hits", "listing_observations", "seller_observations")
SEVERITY = {"ok": 0, "degraded": 1, "failed": 2}
# Reasons (storage, spiders/base.py, recording) that make the reparse's rows no reading of the archive at all: a
# derivation whose run.json names one of them is refused, whatever it staged.
BROKEN_REPARSE_REASONS = ("crawl history unavailable", "bad recording", "staging write failed", "run.json not written",
                          "crawl process died", "no successful response")


class Database(Protocol):
    """What this module needs of ``storage.database.Database`` (which calls it: no import back, no cycle)."""

    path: Path

    def connect(self, read_only: bool = False) -> duckdb.DuckDBPyConnection: ...

    def session(self, read_only: bool = False) -> AbstractContextManager[duckdb.DuckDBPyConnection]: ...

    def after_ingest(self, con: duckdb.DuckDBPyConnection) -> None: ...

    def write_snapshots(self, con: duckdb.DuckDBPyConnection, marketplaces: list[str]) -> None: ...


class DerivationRefused(Exception):
    """A reparse whose rows must not replace the run's current derivation (the reason says why)."""


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def sync_superseded_columns(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Add to each ``superseded.<table>`` every column its main table has gained since (a later migration):
    a reparse never fails, nor drops a value, because a column was added. Returns ``table.column`` added."""
    added = []
    for table in (*RUN_TABLES, "crawl_runs"):
        have = {name for name, _ in columns(con, "superseded", table)}
        for name, kind in columns(con, "main", table):
            if name not in have:
                con.execute(f"ALTER TABLE superseded.{table} ADD COLUMN {_quote(name)} {kind}")
                added.append(f"{table}.{name}")
    return added


def stamp_crawl(con: duckdb.DuckDBPyConnection, run_id: str, parser_version: str | None) -> None:
    """Stamp a crawl's freshly ingested rows (derivation 0) and its run row with ``parser_version`` (inside the
    ingest's transaction, after the rows and the run row are inserted). Descriptions are stamped as they are
    inserted: ``derivation_ingest_descriptions.sql`` with ``$derivation`` 0 in place of ``ingest_descriptions``."""
    if not parser_version:
        return
    for table in RUN_TABLES:
        con.execute(query("derivation_stamp").format(table=table),
                    {"run_id": run_id, "derivation": 0, "parser_version": parser_version})
    con.execute(query("derivation_stamp_run"), {"run_id": run_id, "parser_version": parser_version})


def is_reparse(run: dict[str, Any]) -> bool:
    """True for a staged run that is a new derivation of an ingested run (``run.json`` has ``reparse_of``)."""
    return bool(run.get("reparse_of"))


def _used(statement: str, params: dict[str, Any]) -> dict[str, Any]:
    """The named parameters ``statement`` uses (DuckDB refuses unused ones)."""
    return {name: value for name, value in params.items() if f"${name}" in statement}


def _run_row(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, Any] | None:
    cur = con.execute(query("derivation_run"), {"run_id": run_id})
    names = [d[0] for d in cur.description]
    row = cur.fetchone()
    return dict(zip(names, row, strict=True)) if row else None


# -- the ingest ------------------------------------------------------------------------------------------------------
def ingest_derivation(database: Database, run_dir: Path) -> DerivationResult:
    """Ingest a staged reparse (``run.json`` with ``reparse_of``) as the run's next derivation; the hook
    ``Database.ingest_run`` calls for such a run (see the module docstring). After the commit: classification,
    analysis refresh and history snapshot (``Database.after_ingest``, ``write_snapshots``). The staging folder is
    removed once the derivation is written or refused (a refused one is recorded in ``run_derivations`` with its
    reason; the archive can always give the rows again). ``DatabaseLocked`` and database errors propagate with
    the folder left staged, as for any run."""
    run_dir = Path(run_dir)
    run = json.loads((run_dir / "run.json").read_text("utf-8"))
    journals_to_parquet(run_dir)
    with database.session() as con:
        result = write_derivation(con, run_dir, run)
        if result.outcome == "written":
            database.after_ingest(con)
            with transaction(con):
                con.execute(query("derivation_first_classified"), {"run_id": result.run_id})
            database.write_snapshots(con, [result.marketplace])
    shutil.rmtree(run_dir, ignore_errors=True)
    return result


def write_derivation(con: duckdb.DuckDBPyConnection, run_dir: Path, run: dict[str, Any]) -> DerivationResult:
    """Write the staged rows in ``run_dir`` as the next derivation of run ``run["reparse_of"]`` in one transaction,
    or refuse them (rolled back, the refusal recorded in its own transaction). Returns what was done."""
    run_id = str(run["reparse_of"])
    old = _run_row(con, run_id)
    now = _now()
    if old is None:
        result = DerivationResult(run_id=run_id, marketplace=str(run.get("marketplace") or "?"), derivation=1,
                                  outcome="refused", reason=f"run {run_id} is not in the database: nothing to "
                                  "derive again", parser_version=run.get("parser_version"))
        log.error("reparse of run %s refused: %s", run_id, result.reason)
        with transaction(con):
            _record(con, result, now)
        return result
    from marketplace_spiders.derivation import parser_version

    derivation = int(old.get("derivation") or 0) + 1
    version = run.get("parser_version") or parser_version(old["marketplace"])
    # what was replayed: the pipeline may name it; else the run's own archive folder
    archive = run.get("archive") or run.get("replay_dir") or old.get("evidence_path")
    result = DerivationResult(run_id=run_id, marketplace=old["marketplace"], derivation=derivation,
                              outcome="written", parser_version=version,
                              previous_parser_version=old.get("parser_version"), archive=archive)
    try:
        with transaction(con):
            _replace_rows(con, run_dir, run, old, derivation, version, now, result)
            _record(con, result, now)
    except DerivationRefused as exc:
        result.outcome, result.reason = "refused", str(exc)
        log.error("reparse of run %s refused: %s; its derivation %d is unchanged", run_id, exc, derivation - 1)
        with transaction(con):
            _record(con, result, now)
        return result
    log.info("run %s: derivation %d written (%s)", run_id, derivation,
             "unchanged" if result.unchanged else ", ".join(f"{n} {d.before}->{d.after}"
                                                           for n, d in result.tables.items()))
    return result


def _replace_rows(con: duckdb.DuckDBPyConnection, run_dir: Path, run: dict[str, Any], old: dict[str, Any],
                  derivation: int, version: str, now: datetime, result: DerivationResult) -> None:
    run_id = old["run_id"]
    if run.get("marketplace") and run["marketplace"] != old["marketplace"]:
        raise DerivationRefused(f"the staged rows are of {run['marketplace']}, run {run_id} is of {old['marketplace']}")
    reasons = run.get("status_reasons") or ""
    broken = [marker for marker in BROKEN_REPARSE_REASONS if marker in reasons]
    if broken:
        raise DerivationRefused(f"the reparse did not read the archive through: {reasons}")
    sync_superseded_columns(con)
    params = {"run_id": run_id, "derivation": derivation, "now": now}
    con.execute(query("derivation_supersede_run"), params)
    for table in RUN_TABLES:
        for statement in statements(query("derivation_supersede").format(table=table)):
            con.execute(statement, _used(statement, params))
    for table in RUN_TABLES:
        files = sorted(run_dir.glob(f"{table}-*.parquet"))
        if files:
            # every staged row is this run's (the pipeline stages under the reparsed run's id; made sure here)
            con.execute(f"INSERT INTO main.{table} BY NAME SELECT * REPLACE ($run_id::VARCHAR AS run_id) "
                        "FROM read_parquet($files, union_by_name = true)",
                        {"files": [str(f) for f in files], "run_id": run_id})
        con.execute(query("derivation_stamp").format(table=table),
                    {"run_id": run_id, "derivation": derivation, "parser_version": version})
    descriptions = sorted(run_dir.glob("descriptions-*.parquet"))
    if descriptions:
        con.execute(query("derivation_ingest_descriptions"), {"files": [str(f) for f in descriptions],
                                                              "derivation": derivation, "parser_version": version})
    carried = con.execute(query("derivation_carry_failed_fetches"),
                          {"run_id": run_id, "derivation": derivation}).fetchone()[0]
    pointers = [name for name, _ in columns(con, "main", "fetches") if name.startswith(POINTER_PREFIX)]
    if "warc_record_id" in pointers:
        assignments = ", ".join(f"{_quote(p)} = o.{_quote(p)}" for p in pointers)
        con.execute(query("derivation_carry_pointers").format(assignments=assignments),
                    {"run_id": run_id, "derivation": derivation})
    _check(con, run_id, derivation)
    for statement in statements(query("derivation_refresh_entities")):
        con.execute(statement, _used(statement, params))
    result.tables, result.changes, result.changes_truncated = diff_derivation(con, run_id, derivation)
    later = {**params, "later": changes_what_later_runs_read(result)}
    for statement in statements(query("derivation_unclassify")):
        con.execute(statement, _used(statement, later))
    status, reasons = run_status(run, old, carried_failures=carried)
    con.execute(query("derivation_update_run"), {
        "run_id": run_id, "derivation": derivation, "now": now, "parser_version": version,
        "status": status, "status_reasons": reasons, "item_count": run.get("item_count")})


def _check(con: duckdb.DuckDBPyConnection, run_id: str, derivation: int) -> None:
    """Refuse a derivation that read nothing where the run had responses, or read responses the run never had."""
    before, after, _ = con.execute(query("derivation_response_counts"),
                                   {"run_id": run_id, "derivation": derivation}).fetchone()
    if before and not after:
        raise DerivationRefused(f"the reparse read no response from the archive (the run has {before}): a missing, "
                                "unreadable or empty archive, or the crawl failed before fetching")
    foreign, example = con.execute(query("derivation_foreign_responses"),
                                   {"run_id": run_id, "derivation": derivation}).fetchone()
    if foreign:
        raise DerivationRefused(f"{foreign} response(s) read that run {run_id} never received (e.g. {example}): the "
                                "archive replayed is not this run's")


# Fields of this run that the classifier input of later runs reads (classify_stage_input.sql): a description version
# carried forward to a later observation without one, a seller's legal identity as of a later run.
READ_BY_LATER_RUNS = {"listing_observations": {"description_hash"},
                      "seller_observations": {"legal_name", "inn", "ogrn"}}


def changes_what_later_runs_read(result: DerivationResult) -> bool:
    """True when the new derivation may change the classifier input of later runs: a row added or removed, or a
    field of ``READ_BY_LATER_RUNS`` changed, in those tables (also when the stored changes were truncated)."""
    if result.changes_truncated:
        return True
    for table in READ_BY_LATER_RUNS:
        diff = result.tables.get(table)
        if diff is not None and (diff.added or diff.removed):
            return True
    return any(change.table in READ_BY_LATER_RUNS and READ_BY_LATER_RUNS[change.table] & set(change.fields)
               for change in result.changes)


def run_status(run: dict[str, Any], old: dict[str, Any], carried_failures: int) -> tuple[str, str | None]:
    """The run's status after its reparse: the new derivation's own judgement (a fixed parser can turn a run
    failed by unreadable pages into ok), except that fetches without a response are carried from the crawl and
    the reparse never saw them: then it cannot judge better than the crawl did, and the worse of both stands."""
    new_status = run.get("status") or old["status"]
    new_reasons = run.get("status_reasons")
    if carried_failures and SEVERITY.get(old["status"], 2) > SEVERITY.get(new_status, 2):
        return old["status"], old.get("status_reasons")
    return new_status, new_reasons


def _record(con: duckdb.DuckDBPyConnection, result: DerivationResult, now: datetime) -> None:
    summary = result.summary()
    con.execute(query("derivation_record"), {
        "run_id": result.run_id, "marketplace": result.marketplace, "derivation": result.derivation,
        "previous_parser_version": result.previous_parser_version, "parser_version": result.parser_version,
        "archive": result.archive, "outcome": result.outcome, "reason": result.reason, "now": now,
        "summary": json.dumps(summary, ensure_ascii=False, default=_json_value)})


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


# -- history as of a run ---------------------------------------------------------------------------------------------
def history_as_of(con: duckdb.DuckDBPyConnection, marketplace: str, run_id: str, runs: int = 10) -> CrawlHistory:
    """The crawl history of ``marketplace`` as the database held it before run ``run_id`` started: the listings
    it revisited with their last known content, the recent runs' search results, the sellers known. Only runs
    that started before it count (their newest derivations: reparse oldest first and each run sees corrected
    history). A ``ValueError`` when the run is not in the database."""
    if _run_row(con, run_id) is None:
        raise ValueError(f"run {run_id} is not in the database: no history to reparse it with")
    return read_from_database(con, marketplace, runs, before_run=run_id)


def crawl_history_as_of(database: Database, marketplace: str, run_id: str) -> CrawlHistory:
    """``history_as_of`` over a read-only connection of ``database``: what the spider's ``load_history`` reads
    when ``REPARSE_RUN`` is set, instead of ``Database.crawl_history``. Raises what that raises, so the spider
    handles both alike: ``HistoryUnavailable`` (locked past the timeout: no snapshot fallback, as no snapshot
    holds the history of that moment; or the run is not in the database), ``DatabaseUnreadable``. The reparse
    of a run whose history is unavailable is refused at its ingest (``BROKEN_REPARSE_REASONS``)."""
    from marketplace_spiders.storage.errors import DatabaseLocked, DatabaseUnreadable, HistoryUnavailable

    try:
        con = database.connect(read_only=True)
    except DatabaseLocked as exc:
        raise HistoryUnavailable(f"{exc}: the history as of run {run_id} cannot be read") from exc
    except duckdb.Error as exc:
        raise DatabaseUnreadable(f"the database {database.path} cannot be read: {str(exc).splitlines()[0]}") from exc
    try:
        return history_as_of(con, marketplace, run_id)
    except ValueError as exc:
        raise HistoryUnavailable(str(exc)) from exc
    except duckdb.Error as exc:
        raise DatabaseUnreadable(f"the database {database.path} cannot be read: {str(exc).splitlines()[0]}") from exc
    finally:
        con.close()


def runs_of(con: duckdb.DuckDBPyConnection, marketplace: str, run_ids: Iterable[str] = ()) -> list[dict[str, Any]]:
    """The ``crawl_runs`` rows to reparse: ``run_ids`` (each must be a run of ``marketplace``), or every run of
    ``marketplace``, oldest first. ``ValueError`` naming a run that is not there or of another marketplace."""
    wanted = list(run_ids) or [r[0] for r in con.execute(query("derivation_runs_of_marketplace"),
                                                        {"marketplace": marketplace}).fetchall()]
    rows = []
    for run_id in wanted:
        row = _run_row(con, run_id)
        if row is None:
            raise ValueError(f"run {run_id} is not in the database")
        if row["marketplace"] != marketplace:
            raise ValueError(f"run {run_id} is a run of {row['marketplace']}, not of {marketplace}")
        rows.append(row)
    return sorted(rows, key=lambda r: (r["started_at"], r["run_id"]))
