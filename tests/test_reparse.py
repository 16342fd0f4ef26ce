"""Re-deriving history from the archive (``scrapy reparse``, ``storage/derivations.py``, schema 051).

The base of every test is the bundled Wildberries timeline (run-1, run-2) replayed through the real spider into a
real DuckDB file, with the run's WARC archive beside it. "An older parser" is simulated honestly: the run's rows are
staged through the real ``RunStager`` with one field wrong, exactly as a crawl with that parser would have staged
them, and ingested as the run's derivation 0; the reparse then reads the run's real archive.

The ingest side (derivation written / refused, diff, superseded rows, entities, classification, history as of the
run) is tested in-process over staged rows; the full command (real ``scrapy reparse`` with real ``scrapy crawl``
children: ``Database.ingest_run`` routes the staged reparse, the spider reads the history as of the run) is
``slow``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from marketplace_spiders import demo, derivation, marketplaces
from marketplace_spiders.storage import derivation_archive, derivation_diff, derivations
from marketplace_spiders.storage.database import Database, staging_root_for
from marketplace_spiders.storage.derivation_archive import ArchiveNotFound
from marketplace_spiders.storage.history_snapshot import read_from_database
from marketplace_spiders.storage.replay_identity import recording_id
from marketplace_spiders.storage.staging import SCHEMAS, RunStager

ROOT = Path(__file__).resolve().parents[1]
TIMELINE = marketplaces.get("wildberries").timeline_dir
RUN_TABLES = ("listing_observations", "seller_observations", "search_hits", "fetches")
WRONG_PRICE = Decimal("69.90")  # an older parser that read kopecks as roubles: 6990.00 ₽ became 69.90
WRONG_TITLE_SUFFIX = " [read by the old parser]"
PRODUCT = "201111001"  # 6990 ₽ in run-1, 5990 ₽ in run-2: one price change


# -- building databases ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def timeline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """run-1 and run-2 of the Wildberries timeline replayed by the real spider (as `make demo` does)."""
    db = tmp_path_factory.mktemp("timeline") / "wb.duckdb"
    for run in ("run-1", "run-2"):
        demo.replay("wildberries", TIMELINE / run, db)
    return db


def copy_database(source: Path, target: Path) -> Path:
    """A copy of a closed database with its WAL and its evidence archive (tests never share a writable file)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", ".wal"):
        if Path(f"{source}{suffix}").exists():
            shutil.copy(f"{source}{suffix}", f"{target}{suffix}")
    shutil.copytree(f"{source}.evidence", f"{target}.evidence")
    return target


def rows(db: Path, sql: str, *params: object) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def run_ids(db: Path) -> list[str]:
    return [r[0] for r in rows(db, "SELECT run_id FROM crawl_runs ORDER BY started_at")]


def stage_from(source: Path, target: Path, run_id: str, *, reparse_of: str | None = None,
               mutate: Callable[[str, dict], dict] | None = None, tables: tuple[str, ...] | None = None,
               run_changes: dict[str, Any] | None = None) -> Path:
    """Stage the rows ``run_id`` has in ``source`` into ``target``'s staging folder through the real stager, as
    a crawl stages them (``mutate`` changes a row as another parser would have read it). With ``reparse_of`` the
    staged run is a reparse of that run (what the pipeline writes under REPARSE_RUN)."""
    staged_as = reparse_of or run_id
    stager = RunStager(staging_root_for(target), staged_as)
    with duckdb.connect(str(source), read_only=True) as con:
        for table in (tables if tables is not None else tuple(SCHEMAS)):
            names = SCHEMAS[table].names
            if table == "descriptions":
                sql = (f"SELECT {', '.join(n if n != 'characteristics' else 'characteristics::VARCHAR' for n in names)}"
                       " FROM descriptions WHERE description_hash IN (SELECT description_hash FROM "
                       "listing_observations WHERE run_id = ?)")
            else:
                sql = f"SELECT {', '.join(names)} FROM {table} WHERE run_id = ?"
            for values in con.execute(sql, [run_id]).fetchall():
                row = dict(zip(names, values, strict=True))
                if "run_id" in row:
                    row["run_id"] = staged_as
                stager.add(table, mutate(table, row) if mutate else row)
        cur = con.execute("SELECT * FROM crawl_runs WHERE run_id = ?", [run_id])
        run = dict(zip([d[0] for d in cur.description], cur.fetchone(), strict=True))
    run = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in run.items()}
    run["run_id"] = staged_as
    if reparse_of:
        run.update({"reparse_of": reparse_of, "recording_id": None})
    run.update(run_changes or {})
    return stager.finish(run)


def older_parser(table: str, row: dict) -> dict:
    """How the older parser read run-1: PRODUCT's price in roubles off by 100, and its title with a suffix."""
    if table == "listing_observations" and row["product_id"] == PRODUCT:
        return {**row, "price": WRONG_PRICE, "title": (row["title"] or "") + WRONG_TITLE_SUFFIX}
    return row


@pytest.fixture(scope="module")
def misparsed(timeline: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The timeline as it would be if run-1 had been crawled with ``older_parser``: run-1 is derivation 0 with a
    wrong price and title, run-2 is as crawled; both runs keep their real archive."""
    db = tmp_path_factory.mktemp("misparsed") / "wb.duckdb"
    shutil.copytree(f"{timeline}.evidence", f"{db}.evidence")
    database = Database(db)
    first, second = run_ids(timeline)
    database.ingest_run(stage_from(timeline, db, first, mutate=older_parser))
    database.ingest_run(stage_from(timeline, db, second))
    return db


def snapshot(db: Path) -> dict[str, list[tuple]]:
    """Everything a reparse must leave as it was when nothing changed (derivation columns left out)."""
    found = {}
    for table in RUN_TABLES:
        found[table] = rows(db, f"SELECT * EXCLUDE (derivation, parser_version) FROM main.{table} ORDER BY ALL")
    for name in ("listings", "sellers", "descriptions", "current_listings", "price_changes", "availability_spells",
                 "observation_classifications", "listing_classifications", "classification_claims"):
        exclude = " EXCLUDE (derivation, parser_version)" if name == "descriptions" else ""
        found[name] = rows(db, f"SELECT *{exclude} FROM {name} ORDER BY ALL")
    found["crawl_runs"] = rows(db, "SELECT run_id, status, status_reasons, request_count, item_count, error_count, "
                                   "blocked_count, evidence_path FROM crawl_runs ORDER BY ALL")
    return found


# -- the ingest side ---------------------------------------------------------------------------------------------
def test_a_reparse_with_unchanged_parsers_changes_nothing_and_keeps_the_old_rows(timeline: Path,
                                                                                tmp_path: Path) -> None:
    db = copy_database(timeline, tmp_path / "wb.duckdb")
    before = snapshot(db)
    first = run_ids(db)[0]
    old_rows = rows(db, "SELECT * EXCLUDE (derivation, parser_version) FROM listing_observations "
                        "WHERE run_id = ? ORDER BY ALL", first)
    staged = stage_from(timeline, db, first, reparse_of=first)

    result = derivations.ingest_derivation(Database(db), staged)

    assert result.outcome == "written" and result.derivation == 1
    assert result.unchanged and result.changes == []
    assert {t: (d.before, d.after) for t, d in result.tables.items()} == {
        "listing_observations": (4, 4), "seller_observations": (3, 3), "search_hits": (4, 4), "fetches": (15, 15)}
    assert "nothing changed" in result.format()
    assert snapshot(db) == before
    version = derivation.parser_version("wildberries")
    assert rows(db, "SELECT derivation, parser_version, reparsed_at IS NOT NULL FROM crawl_runs WHERE run_id = ?",
                first) == [(1, version, True)]
    for table in RUN_TABLES:
        assert rows(db, f"SELECT DISTINCT derivation FROM {table} WHERE run_id = ?", first) == [(1,)], table
        assert rows(db, f"SELECT DISTINCT derivation FROM {table} WHERE run_id <> ?", first) == [(0,)], table
    # the old rows are kept, stamped with the derivation that superseded them
    assert rows(db, "SELECT * EXCLUDE (derivation, parser_version, superseded_at, superseded_by_derivation) "
                    "FROM superseded.listing_observations ORDER BY ALL") == old_rows
    assert rows(db, "SELECT DISTINCT derivation, superseded_by_derivation FROM superseded.listing_observations") \
        == [(0, 1)]
    assert rows(db, "SELECT derivation FROM superseded.crawl_runs WHERE run_id = ?", first) == [(0,)]
    assert rows(db, "SELECT outcome, derivation, parser_version FROM run_derivations") == [("written", 1, version)]
    assert not staged.exists()
    # the fetches still point to the run's archive records (a reparse writes no archive)
    assert rows(db, "SELECT count(*) FROM fetches WHERE run_id = ? AND response_sha256 IS NOT NULL "
                    "AND warc_record_id IS NULL", first) == [(0,)]


def test_b_a_reparse_corrects_what_an_older_parser_read_and_the_views_follow(misparsed: Path, timeline: Path,
                                                                            tmp_path: Path) -> None:
    db = copy_database(misparsed, tmp_path / "wb.duckdb")
    first, second = run_ids(db)
    (right_title,) = rows(timeline, "SELECT title FROM listing_observations WHERE run_id = ? AND product_id = ?",
                          first, PRODUCT)[0]
    assert rows(db, "SELECT old_price, new_price FROM price_changes WHERE product_id = ?", PRODUCT) == [
        (WRONG_PRICE, Decimal("5990.00"))]
    wrong_keys = {r[0] for r in rows(db, "SELECT text_key FROM observation_classifications WHERE run_id = ? "
                                         "AND product_id = ?", first, PRODUCT)}
    second_classified = rows(db, "SELECT classified_at FROM classified_runs WHERE run_id = ?", second)

    result = derivations.ingest_derivation(Database(db), stage_from(timeline, db, first, reparse_of=first))

    assert result.outcome == "written"
    assert result.tables["listing_observations"].changed == 1
    assert [(c.table, c.kind, c.key["product_id"], c.fields) for c in result.changes] == [
        ("listing_observations", "changed", PRODUCT,
         {"title": [right_title + WRONG_TITLE_SUFFIX, right_title], "price": ["69.90", "6990.00"]})]
    printed = result.format()
    assert f"product_id={PRODUCT}" in printed and "price: 69.90 -> 6990.00" in printed
    assert "fields changed: listing_observations.price (1), listing_observations.title (1)" in printed
    # the views read the corrected derivation
    assert rows(db, "SELECT old_price, new_price FROM price_changes WHERE product_id = ?", PRODUCT) == [
        (Decimal("6990.00"), Decimal("5990.00"))]
    assert rows(db, "SELECT price FROM listing_observations WHERE run_id = ? AND product_id = ?", first, PRODUCT) \
        == [(Decimal("6990.00"),)]
    # the wrong reading is kept, and says which derivation replaced it
    assert rows(db, "SELECT price, title, derivation, superseded_by_derivation FROM superseded.listing_observations "
                    "WHERE product_id = ?", PRODUCT) == [(WRONG_PRICE, right_title + WRONG_TITLE_SUFFIX, 0, 1)]
    # classification redone: the run's observation has the corrected text version, the wrong one left no verdict
    right_keys = {r[0] for r in rows(db, "SELECT text_key FROM observation_classifications WHERE run_id = ? "
                                         "AND product_id = ?", first, PRODUCT)}
    assert right_keys and right_keys.isdisjoint(wrong_keys)
    assert rows(db, "SELECT count(*) FROM listing_classifications WHERE text_key IN (SELECT unnest(?))",
                sorted(wrong_keys)) == [(0,)]
    assert {r[0] for r in rows(db, "SELECT run_id FROM classified_runs")} == {first, second}
    # a price and a title are nothing later runs read from this one: run-2's classification was not redone
    assert rows(db, "SELECT classified_at FROM classified_runs WHERE run_id = ?", second) == second_classified
    # the same database as a crawl with today's parser gives, in every table the analysis reads
    expected = snapshot(timeline)
    for name in ("listing_observations", "listings", "sellers", "current_listings", "price_changes",
                 "availability_spells", "observation_classifications", "listing_classifications"):
        assert snapshot(db)[name] == expected[name], name


def test_a_product_id_only_the_old_parser_read_leaves_no_listing_behind(timeline: Path, tmp_path: Path) -> None:
    db = tmp_path / "wb.duckdb"
    shutil.copytree(f"{timeline}.evidence", f"{db}.evidence")
    first, second = run_ids(timeline)

    def wrong_id(table: str, row: dict) -> dict:
        return {**row, "product_id": "9" + PRODUCT} if row.get("product_id") == PRODUCT else row

    database = Database(db)
    database.ingest_run(stage_from(timeline, db, first, mutate=wrong_id))
    database.ingest_run(stage_from(timeline, db, second))
    assert rows(db, "SELECT count(*) FROM listings WHERE product_id = ?", "9" + PRODUCT) == [(1,)]
    second_classified = rows(db, "SELECT classified_at FROM classified_runs WHERE run_id = ?", second)

    result = derivations.ingest_derivation(database, stage_from(timeline, db, first, reparse_of=first))

    kinds = sorted((c.table, c.kind, c.key["product_id"]) for c in result.changes if c.table == "listing_observations")
    assert kinds == [("listing_observations", "added", PRODUCT), ("listing_observations", "removed", "9" + PRODUCT)]
    assert rows(db, "SELECT count(*) FROM current_listings WHERE product_id = ?", "9" + PRODUCT) == [(0,)]
    # an observation added and one removed can change what run-2 carried forward: run-2 was classified again
    assert rows(db, "SELECT classified_at FROM classified_runs WHERE run_id = ?", second) != second_classified
    for name in ("listings", "observation_classifications", "listing_classifications", "current_listings"):
        assert snapshot(db)[name] == snapshot(timeline)[name], name


def test_c_reparses_that_did_not_read_this_runs_archive_are_refused_and_the_old_derivation_stays(
        timeline: Path, tmp_path: Path) -> None:
    db = copy_database(timeline, tmp_path / "wb.duckdb")
    first, second = run_ids(db)
    before = snapshot(db)
    # each is what a child stages under the run's id (one at a time: the same staging folder)
    stagings = [
        # 1. the archive cannot be read: every request failed, nothing parsed
        lambda: stage_from(timeline, db, first, reparse_of=first, tables=("fetches",),
                           mutate=lambda table, row: {**row, "outcome": "failed", "status": None,
                                                      "response_sha256": None, "body_bytes": None,
                                                      "reason": "BadRecording: not a gzip file"},
                           run_changes={"status": "failed", "status_reasons": "bad recording: x.wacz: not a zip; "
                                                                              "no successful response"}),
        # 2. a run that looks fine but read no response at all
        lambda: stage_from(timeline, db, first, reparse_of=first, tables=(), run_changes={"status": "ok"}),
        # 3. run-2's responses presented as a reparse of run-1: the wrong archive
        lambda: stage_from(timeline, db, second, reparse_of=first),
    ]
    reasons = []
    for stage in stagings:
        staged = stage()
        assert json.loads((staged / "run.json").read_text("utf-8"))["reparse_of"] == first
        result = derivations.ingest_derivation(Database(db), staged)
        assert (result.outcome, result.derivation) == ("refused", 1)
        assert "REFUSED" in result.format() and "keeps its current rows" in result.format()
        assert not staged.exists()  # a refused derivation is not left to be ingested again
        assert snapshot(db) == before
        reasons.append(result.reason)

    assert "did not read the archive through: bad recording" in reasons[0]
    assert "read no response from the archive (the run has 15)" in reasons[1]
    assert f"response(s) read that run {first} never received" in reasons[2]
    assert rows(db, "SELECT derivation FROM crawl_runs WHERE run_id = ?", first) == [(0,)]
    assert rows(db, "SELECT count(*) FROM superseded.listing_observations") == [(0,)]
    assert rows(db, "SELECT outcome, reason FROM run_derivations ORDER BY reparsed_at") == [
        ("refused", reason) for reason in reasons]
    # 4. a reparse of a run the database does not have (deleted, another database) is refused, not left staged
    orphan = stage_from(timeline, db, first, reparse_of="wildberries-20261101T060000Z-gone")
    result = derivations.ingest_derivation(Database(db), orphan)
    assert (result.outcome, result.reason) == ("refused", "run wildberries-20261101T060000Z-gone is not in the "
                                                          "database: nothing to derive again")
    assert not orphan.exists() and snapshot(db) == before


def test_c_a_reparse_failing_mid_write_rolls_back_and_stays_staged(timeline: Path, tmp_path: Path) -> None:
    db = copy_database(timeline, tmp_path / "wb.duckdb")
    first = run_ids(db)[0]
    before = snapshot(db)
    staged = stage_from(timeline, db, first, reparse_of=first)
    (staged / "listing_observations-000000.parquet").write_bytes(b"PAR1 not a parquet file")

    with pytest.raises(duckdb.Error):
        derivations.ingest_derivation(Database(db), staged)

    assert snapshot(db) == before
    assert rows(db, "SELECT count(*) FROM superseded.fetches") == [(0,)]
    assert rows(db, "SELECT count(*) FROM run_derivations") == [(0,)]
    assert (staged / "run.json").exists()  # nothing lost: an ingest after the fault is fixed can take it


def test_a_column_added_to_a_table_later_is_moved_too(timeline: Path, tmp_path: Path) -> None:
    db = copy_database(timeline, tmp_path / "wb.duckdb")
    first = run_ids(db)[0]
    with Database(db).session() as con:
        con.execute("ALTER TABLE fetches ADD COLUMN reviewed_by VARCHAR")
        con.execute("UPDATE fetches SET reviewed_by = 'analyst' WHERE run_id = ?", [first])

    result = derivations.ingest_derivation(Database(db), stage_from(timeline, db, first, reparse_of=first))

    assert result.outcome == "written"
    assert rows(db, "SELECT DISTINCT reviewed_by FROM superseded.fetches") == [("analyst",)]


def test_a_second_reparse_is_derivation_2_and_keeps_both_earlier_ones(misparsed: Path, timeline: Path,
                                                                      tmp_path: Path) -> None:
    db = copy_database(misparsed, tmp_path / "wb.duckdb")
    first = run_ids(db)[0]
    database = Database(db)
    assert derivations.ingest_derivation(database, stage_from(timeline, db, first, reparse_of=first)).derivation == 1
    second = derivations.ingest_derivation(database, stage_from(timeline, db, first, reparse_of=first))
    assert second.derivation == 2 and second.unchanged
    assert rows(db, "SELECT derivation, superseded_by_derivation, price FROM superseded.listing_observations "
                    "WHERE product_id = ? ORDER BY 1", PRODUCT) == [(0, 1, WRONG_PRICE), (1, 2, Decimal("6990.00"))]
    assert rows(db, "SELECT derivation FROM run_derivations ORDER BY reparsed_at") == [(1,), (2,)]


def test_later_runs_are_classified_again_only_when_the_reparse_changed_what_they_read() -> None:
    def result(table: str, kind: str, fields: dict | None = None) -> derivation_diff.DerivationResult:
        diff = derivation_diff.TableDiff(before=1, after=1, **{kind: 1})
        return derivation_diff.DerivationResult("r", "wildberries", 1, "written", tables={table: diff},
                                                changes=[derivation_diff.RowChange(table, kind, {}, fields or {})])

    later = derivations.changes_what_later_runs_read
    assert not later(result("listing_observations", "changed", {"price": ["69.90", "6990.00"]}))
    assert not later(result("fetches", "added"))
    assert later(result("listing_observations", "changed", {"description_hash": ["a", "b"]}))
    assert later(result("listing_observations", "added"))
    assert later(result("seller_observations", "changed", {"inn": [None, "7701234567"]}))
    assert not later(result("seller_observations", "changed", {"rating": [4.1, 4.2]}))


# -- history as of the run ---------------------------------------------------------------------------------------
def test_the_history_as_of_a_run_is_what_the_database_held_when_it_started(timeline: Path, tmp_path: Path) -> None:
    first, second = run_ids(timeline)
    only_first = tmp_path / "first.duckdb"
    Database(only_first).ingest_run(stage_from(timeline, only_first, first))
    with duckdb.connect(str(only_first), read_only=True) as con:
        then = read_from_database(con, "wildberries")
    with duckdb.connect(str(timeline), read_only=True) as con:
        before_first = derivations.history_as_of(con, "wildberries", first)
        before_second = derivations.history_as_of(con, "wildberries", second)
        today = read_from_database(con, "wildberries")

    assert (before_first.source, before_first.tracked, before_first.known_sellers) == ("empty", [], {})
    assert before_second.tracked == then.tracked
    assert before_second.known_sellers == then.known_sellers
    assert before_second.run_history == then.run_history
    assert (before_second.run_count, before_second.last_run_id) == (1, first)
    assert today.tracked != before_second.tracked  # run-2 changed what is known: the cut-off matters


def test_the_history_of_a_run_not_in_the_database_is_unavailable(timeline: Path) -> None:
    from marketplace_spiders.storage.errors import HistoryUnavailable

    with pytest.raises(HistoryUnavailable, match="no-such-run"):
        derivations.crawl_history_as_of(Database(timeline), "wildberries", "no-such-run")


# -- where the archive is ----------------------------------------------------------------------------------------
def test_the_archive_of_a_run_is_its_evidence_folder(timeline: Path) -> None:
    root = Path(f"{timeline}.evidence")
    with duckdb.connect(str(timeline), read_only=True) as con:
        run = derivations.runs_of(con, "wildberries")[0]
    found = derivation_archive.run_archive(run, root)
    assert (found.kind, found.path, found.observed_at) == ("evidence", root / run["evidence_path"], None)
    with pytest.raises(ArchiveNotFound, match="is missing"):
        derivation_archive.run_archive(run, root.with_name("elsewhere"))


def test_a_replay_without_archive_is_found_by_its_recording_identity(timeline: Path) -> None:
    with duckdb.connect(str(timeline), read_only=True) as con:
        first, second = derivations.runs_of(con, "wildberries")
    bundled = derivation_archive.recording_folders([TIMELINE])
    found = derivation_archive.run_archive({**second, "evidence_path": None}, Path("/nonexistent"), bundled)
    assert (found.kind, found.path, found.observed_at) == ("recording", TIMELINE / "run-2", None)
    # replayed with REPLAY_OBSERVED_AT: the identity hashes the time as given
    moved = {**first, "evidence_path": None, "recording_id": recording_id(TIMELINE / "run-1", "2026-11-01T06:00:00Z")}
    assert derivation_archive.run_archive(moved, Path("/nonexistent"), bundled).observed_at == "2026-11-01T06:00:00Z"
    with pytest.raises(ArchiveNotFound, match="none of the 0 recording folder"):
        derivation_archive.run_archive({**first, "evidence_path": None}, Path("/nonexistent"), [])
    with pytest.raises(ArchiveNotFound, match="was no replay"):
        derivation_archive.run_archive({**first, "evidence_path": None, "recording_id": None}, Path("/nonexistent"))


def test_runs_of_refuses_a_run_of_another_marketplace(timeline: Path) -> None:
    with duckdb.connect(str(timeline), read_only=True) as con:
        first = run_ids(timeline)[0]
        with pytest.raises(ValueError, match="not of ozon"):
            derivations.runs_of(con, "ozon", [first])
        with pytest.raises(ValueError, match="not in the database"):
            derivations.runs_of(con, "wildberries", ["wildberries-nope"])


# -- parser version ----------------------------------------------------------------------------------------------
def _package_copy(target: Path) -> Path:
    package = Path(derivation.__file__).parent
    for path in derivation.parser_sources("wildberries") + derivation.parser_sources("ozon"):
        copy = target / path.relative_to(package)
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, copy)
    return target


def test_the_parser_version_follows_the_sources_that_read_the_pages(tmp_path: Path) -> None:
    root = _package_copy(tmp_path / "pkg")
    derivation.parser_version.cache_clear()
    real = derivation.sources_digest("wildberries")
    assert derivation.sources_digest("wildberries", root) == real
    assert derivation.parser_version("wildberries") == f"{derivation.package_version()}+pages.{real[:12]}"
    (root / "marketplaces/ozon/pages/search.py").write_text("# another marketplace's page object\n")
    assert derivation.sources_digest("wildberries", root) == real
    money = root / "values/money.py"
    money.write_text(money.read_text() + "\n# a shared reader changed\n")
    assert derivation.sources_digest("wildberries", root) != real
    with pytest.raises(ValueError, match="no page objects"):
        derivation.parser_sources("nowhere", root)


# -- the command (real `scrapy reparse` over real `scrapy crawl` children) ---------------------------------------
def scrapy_reparse(db: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(Path(sys.executable).with_name("scrapy")), "reparse", "--marketplace", "wildberries",
                           "--db", str(db), "-s", "EVIDENCE_PACKAGE=False", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


@pytest.mark.slow
def test_command_with_unchanged_parsers_changes_nothing(timeline: Path, tmp_path: Path) -> None:
    db = copy_database(timeline, tmp_path / "wb.duckdb")
    before = snapshot(db)

    done = scrapy_reparse(db)

    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("nothing changed") == 2, done.stdout
    assert "2 of 2 run(s) written (0 changed), 0 not" in done.stdout
    assert snapshot(db) == before
    assert rows(db, "SELECT DISTINCT derivation FROM crawl_runs") == [(1,)]
    assert rows(db, "SELECT count(*) FROM superseded.fetches") == rows(db, "SELECT count(*) FROM fetches")


@pytest.mark.slow
def test_command_corrects_the_field_an_older_parser_read(misparsed: Path, tmp_path: Path) -> None:
    db = copy_database(misparsed, tmp_path / "wb.duckdb")
    first = run_ids(db)[0]

    done = scrapy_reparse(db, "--run", first)

    assert done.returncode == 0, done.stdout + done.stderr
    assert f"~ listing_observations [product_id={PRODUCT}" in done.stdout
    assert "price: 69.90 -> 6990.00" in done.stdout
    assert rows(db, "SELECT old_price, new_price FROM price_changes WHERE product_id = ?", PRODUCT) == [
        (Decimal("6990.00"), Decimal("5990.00"))]
    assert rows(db, "SELECT price FROM superseded.listing_observations WHERE product_id = ?", PRODUCT) == [
        (WRONG_PRICE,)]
    (archive,) = rows(db, "SELECT archive FROM run_derivations WHERE run_id = ?", first)[0]
    assert archive.endswith(rows(db, "SELECT evidence_path FROM crawl_runs WHERE run_id = ?", first)[0][0])


@pytest.mark.slow
def test_command_over_a_damaged_or_missing_archive_exits_1_and_keeps_the_run(timeline: Path,
                                                                            tmp_path: Path) -> None:
    db = copy_database(timeline, tmp_path / "wb.duckdb")
    first, second = run_ids(db)
    before = snapshot(db)
    (folder,) = [Path(f"{db}.evidence") / p for (p,) in rows(db, "SELECT evidence_path FROM crawl_runs "
                                                                "WHERE run_id = ?", first)]
    damaged = [f for f in folder.iterdir() if f.name.endswith((".warc.gz", ".wacz"))]
    assert damaged
    for archive in damaged:
        archive.write_bytes(b"PK\x03\x04" + bytes(64))  # no longer a readable WARC or WACZ
    shutil.rmtree(Path(f"{db}.evidence") / rows(db, "SELECT evidence_path FROM crawl_runs WHERE run_id = ?",
                                                 second)[0][0])

    done = scrapy_reparse(db)

    assert done.returncode == 1, done.stdout + done.stderr
    assert f"run {first}: " in done.stdout and ("REFUSED" in done.stdout or "NOT reparsed" in done.stdout)
    assert f"run {second}: NOT reparsed: the archive of run {second} is missing" in done.stdout
    assert "0 of 2 run(s) written" in done.stdout
    assert snapshot(db) == before
    assert rows(db, "SELECT DISTINCT derivation FROM crawl_runs") == [(0,)]


OLD_KOPECKS = '    return (Decimal(kopecks) / 100).quantize(Decimal("0.01"))'
OLD_PARSER_BUG = '    return (Decimal(kopecks) / 10000).quantize(Decimal("0.01"))  # kopecks divided twice'


@pytest.mark.slow
def test_command_corrects_history_written_by_a_real_older_page_object(tmp_path: Path) -> None:
    """The whole story with real code: a copy of the package whose Wildberries page object divides kopecks twice
    crawls the timeline; today's page object reparses it from the archive; prices and price changes are right."""
    old_tree = tmp_path / "old-package"
    shutil.copytree(ROOT / "marketplace_spiders", old_tree / "marketplace_spiders",
                    ignore=shutil.ignore_patterns("__pycache__", "real_samples", "tests"))
    shutil.copy(ROOT / "scrapy.cfg", old_tree / "scrapy.cfg")
    page = old_tree / "marketplace_spiders/marketplaces/wildberries/pages/product.py"
    assert OLD_KOPECKS in page.read_text("utf-8")
    page.write_text(page.read_text("utf-8").replace(OLD_KOPECKS, OLD_PARSER_BUG), "utf-8")
    db = tmp_path / "wb.duckdb"
    for run in ("run-1", "run-2"):
        subprocess.run([str(Path(sys.executable).with_name("scrapy")), "crawl", "wildberries", "-s",
                        f"REPLAY_DIR={TIMELINE / run}", "-s", f"DUCKDB_PATH={db}", "-s", "LOG_LEVEL=ERROR"],
                       cwd=old_tree, env={**os.environ, "PYTHONPATH": str(old_tree)}, check=True,
                       capture_output=True, timeout=300)
    assert rows(db, "SELECT old_price, new_price FROM price_changes WHERE product_id = ?", PRODUCT) == [
        (Decimal("69.90"), Decimal("59.90"))]
    (old_version,) = rows(db, "SELECT DISTINCT parser_version FROM listing_observations")[0]
    assert old_version != derivation.parser_version("wildberries")

    done = scrapy_reparse(db)

    assert done.returncode == 0, done.stdout + done.stderr
    assert f"~ listing_observations [product_id={PRODUCT}" in done.stdout
    assert "price: 69.90 -> 6990.00; price_before_discount: 89.90 -> 8990.00" in done.stdout
    assert "price: 59.90 -> 5990.00" in done.stdout
    assert rows(db, "SELECT old_price, new_price FROM price_changes WHERE product_id = ?", PRODUCT) == [
        (Decimal("6990.00"), Decimal("5990.00"))]
    assert rows(db, "SELECT DISTINCT parser_version FROM listing_observations") == [
        (derivation.parser_version("wildberries"),)]
    assert rows(db, "SELECT DISTINCT parser_version FROM superseded.listing_observations") == [(old_version,)]
