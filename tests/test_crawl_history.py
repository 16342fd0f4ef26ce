"""A crawl gets its tracked listings whatever holds the database, or fails loudly; a recording lands once.

Real processes throughout: `scrapy crawl` replays of the bundled Wildberries timeline, and another process
holding the DuckDB file (an analyst's read-only connection, or a writer) for the whole crawl.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from sample_files import fixtures_of

from marketplace_spiders.storage.database import Database, staging_root_for
from marketplace_spiders.storage.history_snapshot import read_from_database, read_snapshot, snapshot_dir
from marketplace_spiders.storage.replay_identity import recording_id

# Real crawl/ingest processes: behind the `slow` marker (make test-slow; .ci/run runs both).
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
RUNS = fixtures_of("wildberries") / "timeline"
RUN2_TRACKED = {"201111001", "201111002", "201111003", "201111004"}  # run 1's listings, all revisited by run 2


def crawl(recording: Path, db: Path, *settings: str) -> subprocess.CompletedProcess:
    command = [str(Path(sys.executable).with_name("scrapy")), "crawl", "wildberries",
               "-s", f"REPLAY_DIR={recording}", "-s", f"DUCKDB_PATH={db}", "-s", "LOG_LEVEL=INFO"]
    for setting in settings:
        command += ["-s", setting]
    return subprocess.run(command, cwd=ROOT, text=True, capture_output=True, timeout=300)


def query(db: Path, sql: str, *params):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


HOLD = """
import duckdb, sys

con = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == "ro")
print("locked", flush=True)
sys.stdin.read()
con.close()
"""


class Holder:
    """Another process holding the database (read-only like an analyst, or read-write) until released."""

    def __init__(self, db: Path, mode: str):
        self.proc = subprocess.Popen([sys.executable, "-c", HOLD, str(db), mode], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "locked"

    def release(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def revisited_ids(db: Path, since: str) -> set[str]:
    rows = query(db, "SELECT product_ids FROM fetches WHERE page_type = 'detail' AND fetched_at >= ?", since)
    return {pid for (ids,) in rows for pid in ids}


@pytest.fixture
def after_run_1(tmp_path) -> Path:
    db = tmp_path / "m.duckdb"
    result = crawl(RUNS / "run-1", db)
    assert result.returncode == 0, result.stderr[-3000:]
    return db


@pytest.mark.parametrize("mode", ["ro", "rw"])
def test_a_connection_held_all_through_a_crawl_still_revisits_every_tracked_listing(after_run_1, mode):
    """An analyst's read-only connection (or a writer) open when the crawl starts and until it ends: the
    crawl reads its history read-only beside the analyst (or from the snapshot while a writer holds the
    file), revisits run 1's listings, and its run lands once the holder lets go."""
    db = after_run_1
    holder = Holder(db, mode)
    try:
        result = crawl(RUNS / "run-2", db, "DUCKDB_LOCK_TIMEOUT=1")
    finally:
        holder.release()
    source = "database" if mode == "ro" else "snapshot"
    assert f"4 tracked listing(s) to revisit (history from the {source})" in result.stderr, result.stderr[-3000:]
    assert "not ingested" in result.stderr  # the holder kept the ingest out: the run waits, staged
    assert Database(db).ingest_pending(staging_root_for(db))
    (status, reasons), = query(db, "SELECT status, status_reasons FROM crawl_runs WHERE started_at >= '2026-11-08'")
    assert status in ("ok", "degraded"), reasons
    assert revisited_ids(db, "2026-11-08") >= RUN2_TRACKED
    assert query(db, "SELECT count(*) FROM listing_observations WHERE observed_at >= '2026-11-08'") == [(5,)]


def test_a_writer_at_crawl_start_without_a_snapshot_fails_the_run_loudly(after_run_1):
    """Locked and no snapshot: the tracked listings are unknown, so the run is failed, never ok."""
    db = after_run_1
    shutil.rmtree(snapshot_dir(db))
    holder = Holder(db, "rw")
    try:
        result = crawl(RUNS / "run-2", db, "DUCKDB_LOCK_TIMEOUT=1")
    finally:
        holder.release()
    assert result.returncode != 0
    assert "crawl history unavailable" in result.stderr
    Database(db).ingest_pending(staging_root_for(db))
    (status, reasons), = query(db, "SELECT status, status_reasons FROM crawl_runs WHERE started_at >= '2026-11-08'")
    assert status == "failed" and "crawl history unavailable" in reasons and "no history snapshot" in reasons
    # a failed run says nothing about availability: no listing of run 1 reads as gone
    assert query(db, "SELECT count(*) FROM current_listings WHERE status = 'gone' OR last_known_state = 'gone'") == [
        (0,)]


def test_the_snapshot_holds_the_same_history_as_the_database(after_run_1):
    db = after_run_1
    with duckdb.connect(str(db), read_only=True) as con:
        direct = read_from_database(con, "wildberries")
    snapshot = read_snapshot(db, "wildberries")
    assert snapshot is not None and snapshot.source == "snapshot"
    assert snapshot.tracked == direct.tracked and len(direct.tracked) == 4
    assert snapshot.run_history == direct.run_history and snapshot.known_sellers == direct.known_sellers
    assert snapshot.last_run_id == direct.last_run_id
    # a marketplace the index lists without runs has an empty history; one it does not know is unknown
    assert read_snapshot(db, "ozon").source == "empty"
    (snapshot_dir(db) / "index.json").unlink()
    assert read_snapshot(db, "ozon") is None


def test_listings_of_a_run_still_staged_are_revisited(tmp_path):
    """Run 1 could not be ingested (locked out): run 2, also locked out, still revisits its listings."""
    db = tmp_path / "m.duckdb"
    with Database(db).session():
        pass  # an empty database with its schema, as before any run
    holder = Holder(db, "rw")
    try:
        first = crawl(RUNS / "run-1", db, "DUCKDB_LOCK_TIMEOUT=1")
        assert "not ingested" in first.stderr, first.stderr[-3000:]
        second = crawl(RUNS / "run-2", db, "DUCKDB_LOCK_TIMEOUT=1")
    finally:
        holder.release()
    assert "4 tracked listing(s) to revisit" in second.stderr, second.stderr[-3000:]
    assert len(Database(db).ingest_pending(staging_root_for(db))) == 2
    assert revisited_ids(db, "2026-11-08") >= RUN2_TRACKED


def test_replaying_the_same_recording_twice_is_ingested_once(after_run_1):
    db = after_run_1
    before = query(db, "SELECT (SELECT count(*) FROM listing_observations), (SELECT count(*) FROM fetches), "
                       "(SELECT count(*) FROM search_hits)")
    again = crawl(RUNS / "run-1", db)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "already ingested as run" in again.stderr and "nothing doubled" in again.stderr
    assert query(db, "SELECT count(*), count(DISTINCT recording_id) FROM crawl_runs") == [(1, 1)]
    assert query(db, "SELECT (SELECT count(*) FROM listing_observations), (SELECT count(*) FROM fetches), "
                     "(SELECT count(*) FROM search_hits)") == before
    (stored,), = query(db, "SELECT recording_id FROM crawl_runs")
    assert stored == recording_id(RUNS / "run-1")
    assert not list(staging_root_for(db).iterdir())


def test_the_same_recording_at_another_replay_time_is_another_run(after_run_1):
    db = after_run_1
    later = crawl(RUNS / "run-1", db, "REPLAY_OBSERVED_AT=2026-11-02T06:00:00Z")
    assert later.returncode == 0, later.stderr[-3000:]
    assert query(db, "SELECT count(*), count(DISTINCT recording_id) FROM crawl_runs") == [(2, 2)]


def test_a_recording_identity_follows_its_content_not_its_folder(tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(RUNS / "run-1", copy)
    assert recording_id(copy) == recording_id(RUNS / "run-1")
    body = next((copy / "bodies").glob("search-*.json"))
    data = json.loads(body.read_text("utf-8"))
    data["products"][0]["id"] += 1
    body.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    assert recording_id(copy) != recording_id(RUNS / "run-1")
    assert recording_id(RUNS / "run-1", terms=["Кымдан-2"]) != recording_id(RUNS / "run-1")


def test_snapshots_of_a_deleted_database_are_never_used_for_a_new_one(after_run_1):
    """The demo deletes its database and builds a new one at the same path: run 1's snapshot must not
    become the new database's history."""
    db = after_run_1
    assert read_snapshot(db, "wildberries").tracked
    db.unlink()
    with Database(db).session():
        pass  # the new database gets its schema (and a new identity)
    assert read_snapshot(db, "wildberries").source == "empty"
    assert not (snapshot_dir(db) / "wildberries.json").exists()


def test_a_snapshot_is_not_used_once_the_database_file_was_replaced(after_run_1):
    """A file moved over the database (a restored backup) is another file: until an ingest rewrites the
    snapshot, a locked crawl has no history to trust (and fails loudly)."""
    db = after_run_1
    restored = db.with_name("restored.duckdb")
    shutil.copy(db, restored)
    restored.replace(db)
    assert read_snapshot(db, "wildberries") is None
