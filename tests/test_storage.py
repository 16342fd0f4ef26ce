"""The staged, batched DuckDB writes: exactly-once ingest, waiting for locks, never dropping a run."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal

import duckdb
import pytest

from marketplace_spiders.items import FetchRecord, ListingObservation
from marketplace_spiders.storage.database import Database, DatabaseLocked, staging_root_for
from marketplace_spiders.storage.staging import RunStager

AT = datetime(2026, 11, 1, 6, tzinfo=UTC)


def stage_run(db: Database, run_id: str, n: int, batch_size: int = 1000) -> RunStager:
    stager = RunStager(staging_root_for(db.path), run_id, batch_size=batch_size)
    for i in range(n):
        stager.add_item(ListingObservation("wildberries", str(i), f"u{i}", title=f"t{i}",
                                           price=Decimal("10.50") + i, observed_at=AT, response_sha256="s"))
    stager.add_item(FetchRecord("wildberries", "u", "detail", "ok", product_ids=[str(i) for i in range(n)],
                                fetched_at=AT))
    stager.finish({"run_id": run_id, "marketplace": "wildberries", "started_at": AT.isoformat(), "status": "ok"})
    return stager


def count(db: Database, sql: str):
    with db.session(read_only=True) as con:
        return con.execute(sql).fetchone()[0]


def test_batches_are_parquet_files_ingested_in_one_run(tmp_path):
    db = Database(tmp_path / "m.duckdb")
    stager = stage_run(db, "r1", 5, batch_size=2)
    assert len(list(stager.run_dir.glob("listing_observations-*.parquet"))) == 3
    assert db.ingest_run(stager.run_dir) is True
    assert count(db, "SELECT count(*) FROM listing_observations") == 5
    assert count(db, "SELECT sum(price) FROM listing_observations") == Decimal("62.50")
    assert not stager.run_dir.exists()


def test_ingest_is_exactly_once(tmp_path):
    db = Database(tmp_path / "m.duckdb")
    stager = stage_run(db, "r1", 3)
    copy = tmp_path / "copy"
    shutil.copytree(stager.run_dir, copy)
    assert db.ingest_run(stager.run_dir) is True
    shutil.copytree(copy, stager.run_dir)
    assert db.ingest_run(stager.run_dir) is False
    assert count(db, "SELECT count(*) FROM listing_observations") == 3
    assert count(db, "SELECT count(*) FROM crawl_runs") == 1


HOLD_LOCK = """
import duckdb, sys, time
con = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == "ro")
print("locked", flush=True)
time.sleep(float(sys.argv[3]))
con.close()
"""


def hold_lock(path, mode: str, seconds: float) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(path), mode, str(seconds)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


@pytest.mark.parametrize("mode", ["rw", "ro"])
def test_a_held_database_delays_the_write(tmp_path, mode):
    db = Database(tmp_path / "m.duckdb", lock_timeout=30)
    with db.session():
        pass  # create the file and schema
    stager = stage_run(db, "r1", 4)
    holder = hold_lock(db.path, mode, 2.0)
    started = time.monotonic()
    assert db.ingest_run(stager.run_dir) is True
    waited = time.monotonic() - started
    holder.wait(timeout=30)
    assert waited >= 1.0  # it waited for the analyst's connection instead of failing
    assert count(db, "SELECT count(*) FROM listing_observations") == 4


def test_a_database_locked_too_long_keeps_the_run_staged(tmp_path):
    db = Database(tmp_path / "m.duckdb", lock_timeout=0.5)
    with db.session():
        pass
    stager = stage_run(db, "r1", 2)
    holder = hold_lock(db.path, "rw", 3.0)
    with pytest.raises(DatabaseLocked):
        db.ingest_run(stager.run_dir)
    assert (stager.run_dir / "run.json").exists()
    holder.wait(timeout=30)
    assert db.ingest_pending(staging_root_for(db.path)) == ["r1"]
    assert count(db, "SELECT count(*) FROM listing_observations") == 2


def test_unfinished_runs_are_not_ingested(tmp_path):
    db = Database(tmp_path / "m.duckdb")
    stager = RunStager(staging_root_for(db.path), "running")
    stager.add_item(FetchRecord("wildberries", "u", "search", "ok", fetched_at=AT))
    stager.flush()
    assert db.ingest_pending(staging_root_for(db.path)) == []
    assert stager.run_dir.exists()


def test_schema_applied_once_and_views_reapplied(tmp_path):
    db = Database(tmp_path / "m.duckdb")
    with db.session() as con:
        first = con.execute("SELECT count(*) FROM schema_migrations").fetchone()[0]
    with db.session() as con:
        assert con.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] == first
        assert Database.migrate(con) == []
    assert first >= 1
    con = duckdb.connect(str(db.path), read_only=True)
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    con.close()
    assert {"crawl_runs", "listings", "listing_observations", "descriptions", "sellers", "seller_observations",
            "search_hits", "fetches"} <= tables


def test_memory_limit_of_ingest_connections(tmp_path) -> None:
    """DUCKDB_INGEST_MEMORY_LIMIT reaches DuckDB (the pipeline passes it to the ingest child as --memory-limit)."""
    with Database(tmp_path / "m.duckdb", memory_limit="300MB").session() as con:
        limited = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    with Database(tmp_path / "m.duckdb").session() as con:
        default = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    assert limited == "286.1 MiB"  # 300 MB as DuckDB reports it
    assert default != limited


def _record_refresh_limits(monkeypatch) -> list[str]:
    """The memory_limit in force at each analysis refresh try (the real refresh still runs)."""
    from marketplace_spiders.storage import database

    seen: list[str] = []
    real = database.refresh_analysis

    def recording(con):
        seen.append(con.execute("SELECT current_setting('memory_limit')").fetchone()[0])
        real(con)

    monkeypatch.setattr(database, "refresh_analysis", recording)
    return seen


def _create(db: Database, seen: list[str]) -> None:
    """Create the schema (whose first refresh of the empty tables is not an ingest's) and forget that refresh."""
    with db.session():
        pass
    seen.clear()


def test_the_refresh_after_an_ingest_runs_under_its_memory_limit(tmp_path, monkeypatch) -> None:
    """DUCKDB_REFRESH_MEMORY_LIMIT bounds the analysis refresh; the connection gets its own limit back."""
    seen = _record_refresh_limits(monkeypatch)
    db = Database(tmp_path / "m.duckdb", refresh_memory_limit="300MB")
    _create(db, seen)
    stage_run(db, "r1", 20)
    assert db.ingest_pending(staging_root_for(db.path)) == ["r1"]
    assert seen == ["286.1 MiB"]  # 300 MB as DuckDB reports it
    with db.session() as con:
        default = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    assert default != "286.1 MiB"
    assert count(db, "SELECT count(*) FROM current_listings") == 20


def test_a_refresh_out_of_memory_is_tried_again_with_more_then_without_a_limit(tmp_path, monkeypatch,
                                                                                 caplog) -> None:
    """Some DuckDB steps cannot spill: a refresh that runs out of memory under the limit is rolled back and
    retried with twice the limit, twice, then without a limit of its own. The run and its refresh are kept."""
    seen = _record_refresh_limits(monkeypatch)
    db = Database(tmp_path / "m.duckdb", refresh_memory_limit="1MB")  # too little for any refresh
    _create(db, seen)
    stage_run(db, "r1", 3000)
    with caplog.at_level("WARNING", logger="marketplace_spiders.storage.database"):
        assert db.ingest_pending(staging_root_for(db.path)) == ["r1"]
    # Under 1 and 2 MB DuckDB cannot even lower its limit that far; under 4 MB the refresh itself fails.
    assert set(seen[:-1]) <= {"976.5 KiB", "1.9 MiB", "3.8 MiB"}  # 1, 2 and 4 MB as DuckDB reports them
    with duckdb.connect() as fresh:
        assert seen[-1] == fresh.execute("SELECT current_setting('memory_limit')").fetchone()[0]  # no limit
    assert [r.getMessage().split(";")[0] for r in caplog.records] == [
        f"analysis refresh needs more memory than {limit}" for limit in ("1MB", "2MB", "4MB")]
    with db.session() as con:
        assert con.execute("SELECT count(*) FROM current_listings").fetchone()[0] == 3000
        assert con.execute("SELECT * FROM current_listings EXCEPT SELECT * FROM current_listings_live").fetchall() \
            == []
        assert con.execute("SELECT current_setting('memory_limit')").fetchone()[0] == seen[-1]


def test_the_refresh_limit_never_raises_the_ingest_limit(tmp_path, monkeypatch) -> None:
    seen = _record_refresh_limits(monkeypatch)
    db = Database(tmp_path / "m.duckdb", memory_limit="200MB", refresh_memory_limit="300MB")
    _create(db, seen)
    stage_run(db, "r1", 5)
    db.ingest_pending(staging_root_for(db.path))
    assert seen == ["190.7 MiB"]  # the ingest's own 200 MB


def test_a_misspelt_refresh_limit_fails_before_any_crawl(tmp_path) -> None:
    with pytest.raises(ValueError, match="not a memory size"):
        Database(tmp_path / "m.duckdb", refresh_memory_limit="300 megs")


def test_the_ingest_child_takes_the_refresh_limit(tmp_path) -> None:
    """The crawl's pipeline passes DUCKDB_REFRESH_MEMORY_LIMIT to the ingest child as --refresh-memory-limit."""
    db = Database(tmp_path / "m.duckdb")
    stager = stage_run(db, "r1", 3000)
    result = subprocess.run(
        [sys.executable, "-m", "marketplace_spiders.storage.ingest_process", "--db", str(db.path),
         "--run-dir", str(stager.run_dir), "--refresh-memory-limit", "1MB"],
        capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "analysis refresh needs more memory than 1MB" in result.stderr
    assert count(db, "SELECT count(*) FROM current_listings") == 3000


def test_the_refresh_limit_is_capped_by_an_ingest_limit_in_any_duckdb_spelling(tmp_path, monkeypatch) -> None:
    """DUCKDB_INGEST_MEMORY_LIMIT is read back from DuckDB ("2G" reads "1.8 GiB"), so a spelling DuckDB
    accepts never fails the refresh after the run was committed."""
    seen = _record_refresh_limits(monkeypatch)
    db = Database(tmp_path / "m.duckdb", memory_limit="2G", refresh_memory_limit="300MB")
    _create(db, seen)
    stage_run(db, "r1", 5)
    assert db.ingest_pending(staging_root_for(db.path)) == ["r1"]
    assert seen == ["286.1 MiB"]
    assert not (staging_root_for(db.path) / "r1").exists()


def test_a_refresh_lost_after_the_classification_is_done_when_the_run_comes_again(tmp_path, monkeypatch) -> None:
    """The ingest child died after the classification committed, before the refresh: the run is left staged,
    and its next ingest (which finds the run already there) refreshes the analysis tables."""
    from marketplace_spiders.storage import database

    db = Database(tmp_path / "m.duckdb")
    # the ingest stops after the classification (step 1 of Database.after_ingest), before the refresh
    monkeypatch.setattr(database.Database, "refresh_bounded", lambda self, con: None)
    stage_run(db, "r1", 5)
    assert db.ingest_pending(staging_root_for(db.path)) == ["r1"]
    assert count(db, "SELECT count(*) FROM current_listings") == 0
    monkeypatch.undo()
    stage_run(db, "r1", 5)
    assert db.ingest_pending(staging_root_for(db.path)) == []  # already ingested: nothing added
    assert count(db, "SELECT count(*) FROM listing_observations") == 5
    assert count(db, "SELECT count(*) FROM current_listings") == 5
