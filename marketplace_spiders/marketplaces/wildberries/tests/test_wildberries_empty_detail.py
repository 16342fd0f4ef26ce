"""An empty or incomplete detail answer is not a mass delisting: end to end, through real replays of recordings
derived from the bundled timeline (fixtures/drift/derive.py) into real DuckDB files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from sample_files import ROOT, fixtures_of, rows

from marketplace_spiders import demo

TIMELINE = fixtures_of("wildberries") / "timeline"
RECORDINGS = fixtures_of("wildberries") / "drift" / "recordings"
RUN_1_LISTINGS = ["201111001", "201111002", "201111003", "201111005"]


def replay_with(folder: Path, db: Path, *settings: str) -> None:
    """``scrapy crawl wildberries`` replaying ``folder``; a run judged 'failed' exits 1 and is still stored."""
    command = [str(Path(sys.executable).with_name("scrapy")), "crawl", "wildberries", "-s", f"REPLAY_DIR={folder}",
               "-s", f"DUCKDB_PATH={db}", "-s", "LOG_LEVEL=WARNING"]
    for setting in settings:
        command += ["-s", setting]
    result = subprocess.run(command, cwd=ROOT, text=True, capture_output=True)
    stored_as_failed = result.returncode == 1 and "finished: status=failed" in result.stderr
    assert result.returncode == 0 or stored_as_failed, result.stdout + result.stderr


def timeline_then(recording: str, folder: Path, *settings: str) -> duckdb.DuckDBPyConnection:
    db = folder / "wb.duckdb"
    demo.replay("wildberries", TIMELINE / "run-1", db)
    replay_with(RECORDINGS / recording, db, *settings)
    return duckdb.connect(str(db), read_only=True)


def statuses(con) -> dict[str, str]:
    return dict(rows(con, "SELECT product_id, status FROM current_listings WHERE marketplace = 'wildberries'"))


def second_run(con) -> str:
    return rows(con, "SELECT run_id FROM crawl_runs ORDER BY started_at DESC LIMIT 1")[0][0]


@pytest.fixture(scope="module")
def empty(tmp_path_factory):
    con = timeline_then("run-2-empty-detail", tmp_path_factory.mktemp("empty"))
    yield con
    con.close()


def test_empty_detail_answer_is_recorded_as_malformed_with_its_reason(empty):
    got = rows(empty, "SELECT outcome, reason, len(product_ids) FROM fetches WHERE page_type = 'detail' "
                      "AND run_id = ?", second_run(empty))
    assert len(got) == 1
    outcome, reason, ids = got[0]
    assert (outcome, ids) == ("malformed", 5)
    assert "omits every requested id (5)" in reason


def test_empty_detail_answer_writes_no_not_found_rows(empty):
    assert rows(empty, "SELECT count(*) FROM listing_observations WHERE run_id = ?", second_run(empty)) == [(0,)]
    assert rows(empty, "SELECT count(*) FROM listing_observations WHERE listing_status = 'not_found'") == [(0,)]


def test_empty_detail_answer_leaves_every_listing_unknown_not_gone(empty):
    got = statuses(empty)
    assert {got[p] for p in RUN_1_LISTINGS} == {"unknown"}
    assert "gone" not in got.values()


def test_empty_detail_answer_does_not_leave_the_run_ok(empty):
    status, reasons = rows(empty, "SELECT status, status_reasons FROM crawl_runs WHERE run_id = ?",
                           second_run(empty))[0]
    assert status in ("degraded", "failed") and "error count 1" in reasons


def test_answer_omitting_a_listing_the_search_found_keeps_it_unknown_in_an_ok_run(tmp_path):
    """With errors tolerated (RUN_MAX_ERRORS) the run is judged 'ok'; the listing the answer left out still
    stays unknown: no 'not_found' row, and its malformed revisit check is unanswered (listing_run_checks)."""
    con = timeline_then("run-2-detail-omits-searched", tmp_path, "RUN_MAX_ERRORS=10")
    try:
        run = second_run(con)
        assert rows(con, "SELECT status FROM crawl_runs WHERE run_id = ?", run) == [("ok",)]
        outcome, reason = rows(con, "SELECT outcome, reason FROM fetches WHERE page_type = 'detail' AND run_id = ?",
                               run)[0]
        assert outcome == "malformed" and "201111001" in reason and "saw listed" in reason
        assert rows(con, "SELECT count(*) FROM listing_observations WHERE product_id = '201111001' AND run_id = ?",
                    run) == [(0,)]
        got = statuses(con)
        assert got["201111001"] == "unknown"
        # the four products the answer did return keep their observed state
        assert (got["201111002"], got["201111003"], got["201111005"]) == ("out_of_stock", "available", "available")
    finally:
        con.close()
