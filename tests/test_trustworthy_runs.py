"""Block pages, drift and crashes in whole replayed runs: never read as delisted, never lost."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from sample_files import fixtures_of, real_sample

from marketplace_spiders import demo
from marketplace_spiders.storage.database import Database, staging_root_for

# Real crawl/ingest processes: behind the `slow` marker (make test-slow; .ci/run runs both).
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
RUNS = fixtures_of("wildberries") / "timeline"


def replace_body(recording: Path, url_part: str, body: bytes, status: int, content_type: str) -> None:
    index = recording / "responses.jsonl"
    lines = [json.loads(line) for line in index.read_text("utf-8").splitlines()]
    (hit,) = [line for line in lines if url_part in line["url"]]
    (recording / hit["body_file"]).write_bytes(body)
    hit["status"], hit["headers"] = status, {"Content-Type": [content_type], "Server": ["Angie"]}
    index.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n", "utf-8")


def query(db: Path, sql: str):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.fixture
def two_runs(tmp_path):
    """Run 1 replayed normally; run 2 copied so a test can break it before replaying."""
    db = tmp_path / "m.duckdb"
    demo.replay("wildberries", RUNS / "run-1", db)
    broken = tmp_path / "run-2"
    shutil.copytree(RUNS / "run-2", broken)
    return db, broken


def test_challenge_on_the_detail_batch_is_blocked_not_delisted(two_runs):
    db, run2 = two_runs
    wbaas = real_sample("wildberries/BLOCKED_wb_wbaas_antibot_challenge_2025-12__botass740.html").read_bytes()
    replace_body(run2, "card.wb.ru/cards/v4/detail", wbaas, 200, "text/html; charset=utf-8")
    demo.replay("wildberries", run2, db)
    run = query(db, "SELECT status, status_reasons, blocked_count FROM crawl_runs ORDER BY started_at DESC LIMIT 1")
    assert run[0][0] == "degraded" and run[0][2] == 1 and "blocked" in run[0][1]
    fetch = query(db, "SELECT outcome, reason, len(product_ids) FROM fetches WHERE page_type = 'detail' "
                      "AND fetched_at >= '2026-11-08'")
    assert fetch[0][0] == "blocked" and "wbaas_challenge" in fetch[0][1] and fetch[0][2] == 5
    # no observation at all for run 2: neither a price nor a 'not_found'
    assert query(db, "SELECT count(*) FROM listing_observations WHERE observed_at >= '2026-11-08'") == [(0,)]
    assert query(db, "SELECT count(*) FROM listing_observations WHERE listing_status = 'not_found'") == [(0,)]


def test_tls_fingerprint_403_on_search_is_blocked(two_runs):
    db, run2 = two_runs
    replace_body(run2, "query=Royal", b"<html><head><title>403 Forbidden</title></head></html>", 403, "text/html")
    demo.replay("wildberries", run2, db)
    (outcome, reason), = query(db, "SELECT outcome, reason FROM fetches WHERE term = 'Royal Blood-Fresh' "
                                   "AND fetched_at >= '2026-11-08'")
    assert outcome == "blocked" and "tls_fingerprint_403" in reason
    # Royal Blood-Fresh was not searched successfully, but its listing is still revisited by the detail batch
    assert query(db, "SELECT listing_status FROM listing_observations WHERE product_id = '201111003' "
                     "AND observed_at >= '2026-11-08'") == [("listed",)]


def test_all_searches_empty_is_flagged_as_possible_drift(two_runs):
    db, run2 = two_runs
    for number in (1, 2, 3):
        body = json.loads((run2 / "bodies" / f"search-{number}.json").read_text("utf-8"))
        body["products"], body["total"] = [], 0
        (run2 / "bodies" / f"search-{number}.json").write_text(json.dumps(body, ensure_ascii=False), "utf-8")
    # with nothing found, only the tracked listings of run 1 are revisited
    index = run2 / "responses.jsonl"
    index.write_text(index.read_text("utf-8").replace("nm=201111001;201111002;201111003;201111004;201111005",
                                                      "nm=201111001;201111002;201111003;201111005"), "utf-8")
    demo.replay("wildberries", run2, db)
    (status, reasons), = query(db, "SELECT status, status_reasons FROM crawl_runs ORDER BY started_at DESC LIMIT 1")
    assert status == "degraded" and "possible layout drift" in reasons


def test_malformed_response_is_quarantined_and_counted(two_runs):
    db, run2 = two_runs
    replace_body(run2, "card.wb.ru/cards/v4/detail", b'{"products": [{"name": "id missing"}]}', 200,
                 "application/json")
    demo.replay("wildberries", run2, db)
    (outcome, reason), = query(db, "SELECT outcome, reason FROM fetches WHERE page_type = 'detail' "
                                   "AND fetched_at >= '2026-11-08'")
    assert outcome == "malformed" and "without an integer 'id'" in reason
    kept = list((Path(str(db) + ".quarantine") / "wildberries").glob("*.json"))
    assert len(kept) == 1 and json.loads(kept[0].read_text("utf-8"))["page_type"] == "detail"


def test_kill_9_during_a_crawl_loses_nothing_fetched(tmp_path):
    """A crawl killed mid-run: what it staged is ingested (as a failed run) by the next command, once."""
    db = tmp_path / "m.duckdb"
    command = [str(Path(sys.executable).with_name("scrapy")), "crawl", "wildberries",
               "-s", f"REPLAY_DIR={RUNS / 'run-1'}", "-s", f"DUCKDB_PATH={db}", "-s", "STAGING_BATCH_SIZE=1000",
               "-s", "CONCURRENT_REQUESTS=1", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1", "-s", "DOWNLOAD_DELAY=0.3",
               "-s", "LOG_LEVEL=INFO"]
    proc = subprocess.Popen(command, cwd=ROOT, stderr=subprocess.PIPE, text=True)
    staged_rows = 0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and staged_rows < 8:
        time.sleep(0.1)
        journals = list(staging_root_for(db).glob("*/*.jsonl"))
        staged_rows = sum(len(j.read_text("utf-8").splitlines()) for j in journals)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert staged_rows >= 8, "the crawl did not stage rows before the deadline"
    journaled = {}
    for journal in staging_root_for(db).glob("*/*.jsonl"):
        journaled[journal.stem.rsplit("-", 1)[0]] = len(journal.read_text("utf-8").splitlines())
    ingested = Database(db).ingest_pending(staging_root_for(db))
    assert len(ingested) == 1
    (status, reasons), = query(db, "SELECT status, status_reasons FROM crawl_runs")
    assert status == "failed" and "died" in reasons
    counts = dict(query(db, "SELECT 'fetches', count(*) FROM fetches UNION ALL SELECT 'search_hits', count(*) "
                            "FROM search_hits"))
    for table in ("fetches", "search_hits"):
        assert counts[table] >= journaled.get(table, 0) - 1  # at most the line being written at the kill
    assert Database(db).ingest_pending(staging_root_for(db)) == []  # exactly once


def _crawls_at_once(db: Path, *observed_at: str) -> None:
    """Replays of run 1 started together, one per replay time given ("" = the recording's own time)."""
    procs = []
    for at in observed_at:
        command = [str(Path(sys.executable).with_name("scrapy")), "crawl", "wildberries",
                   "-s", f"REPLAY_DIR={RUNS / 'run-1'}", "-s", f"DUCKDB_PATH={db}", "-s", "LOG_LEVEL=WARNING"]
        if at:
            command += ["-s", f"REPLAY_OBSERVED_AT={at}"]
        procs.append(subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                      text=True))
    for proc in procs:
        _out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err[-2000:]


def test_two_crawls_at_once_both_land_exactly_once(tmp_path):
    db = tmp_path / "m.duckdb"
    _crawls_at_once(db, "2026-11-01T06:00:00Z", "2026-11-01T07:00:00Z")  # two replays: two distinct runs
    assert query(db, "SELECT count(*), count(DISTINCT run_id) FROM crawl_runs") == [(2, 2)]
    assert query(db, "SELECT count(*) FROM listing_observations GROUP BY run_id") == [(4,), (4,)]
    assert not list(staging_root_for(db).glob("*"))


def test_two_replays_of_one_recording_at_once_land_once(tmp_path):
    db = tmp_path / "m.duckdb"
    _crawls_at_once(db, "", "")
    assert query(db, "SELECT count(*), count(recording_id) FROM crawl_runs") == [(1, 1)]
    assert query(db, "SELECT count(*) FROM listing_observations") == [(4,)]
    assert not list(staging_root_for(db).glob("*"))


def test_kill_9_during_an_ingest_leaves_nothing_half_written(tmp_path):
    from datetime import UTC, datetime

    from marketplace_spiders.items import ListingObservation
    from marketplace_spiders.storage.staging import RunStager

    db = tmp_path / "m.duckdb"
    with Database(db).session():
        pass
    stager = RunStager(staging_root_for(db), "big-run", batch_size=50_000)
    at = datetime(2026, 11, 1, tzinfo=UTC)
    for i in range(300_000):
        stager.add_item(ListingObservation("wildberries", str(i), "u", title="t", observed_at=at))
    stager.finish({"run_id": "big-run", "marketplace": "wildberries", "started_at": at.isoformat(),
                   "status": "ok"})
    ingest = [sys.executable, "-m", "marketplace_spiders.storage.ingest_process", "--db", str(db),
              "--run-dir", str(stager.run_dir)]
    proc = subprocess.Popen(ingest, cwd=ROOT, stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:  # wait until the transaction has begun
        if "ingest of run big-run started" in line:
            break
    time.sleep(0.2)
    assert proc.poll() is None, "the ingest finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    # none of the run is visible, the file opens cleanly, and the staged run is still there
    assert query(db, "SELECT (SELECT count(*) FROM crawl_runs), (SELECT count(*) FROM listing_observations)") == [
        (0, 0)]
    assert (stager.run_dir / "run.json").exists()
    Database(db).ingest_pending(staging_root_for(db))
    assert query(db, "SELECT (SELECT count(*) FROM crawl_runs), (SELECT count(*) FROM listing_observations)") == [
        (1, 300_000)]


def test_a_callback_exception_is_recorded_as_malformed(tmp_path):
    from sample_files import json_response
    from scrapy.utils.test import get_crawler

    from marketplace_spiders.callback_errors import CallbackErrorMiddleware
    from marketplace_spiders.marketplaces.wildberries.spider import WildberriesSpider

    crawler = get_crawler(WildberriesSpider, {"DUCKDB_PATH": str(tmp_path / "m.duckdb")})
    crawler.spider = crawler._create_spider(terms="x")
    response = json_response("https://card.wb.ru/cards/v4/detail?nm=7", b'{"products": []}',
                             meta={"page_type": "detail", "product_ids": [7]})
    (record,) = CallbackErrorMiddleware(crawler).process_spider_exception(response, RuntimeError("boom"))
    assert (record.outcome, record.page_type, record.product_ids) == ("malformed", "detail", ["7"])
    assert "RuntimeError in callback: boom" in record.reason
    kept = list((tmp_path / "m.duckdb.quarantine" / "wildberries").glob("*.body"))
    assert [k.read_bytes() for k in kept] == [b'{"products": []}']
    assert crawler.stats.get_value("callback/exception") == 1
