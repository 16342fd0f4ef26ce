"""`scrapy crawl <spider>` exits non-zero when its run is failed, like `scrapy crawlall`; real subprocesses."""

from __future__ import annotations

from crawl_process import WB_RUNS, copy_run, crawl, entries, last_run, line_of, replay, write_entries


def test_replay_missing_a_request_exits_nonzero(tmp_path):
    recording = copy_run(tmp_path)
    lines = entries(recording)
    del lines[line_of(recording, "cards/v4/detail") - 1]
    write_entries(recording, lines)
    db = tmp_path / "m.duckdb"
    result = replay(recording, db)
    assert result.returncode == 1
    status, reasons, _, _ = last_run(db)
    assert status == "failed" and "1 request(s) missing from the recording" in reasons
    assert "crawl: run wildberries-" in result.stderr and "failed: 1 request(s) missing" in result.stderr


def test_healthy_replay_exits_zero(tmp_path):
    db = tmp_path / "m.duckdb"
    result = replay(WB_RUNS / "run-1", db)
    status, reasons, _, errors = last_run(db)
    assert (status, errors) == ("ok", 0), reasons
    assert result.returncode == 0, result.stderr[-3000:]
    assert "crawl: run" not in result.stderr


def test_degraded_replay_still_exits_zero(tmp_path):
    """Degraded runs wrote trustworthy data with a warning; only failed runs make the exit code non-zero."""
    recording = copy_run(tmp_path)
    (recording / "bodies" / "card-201111002.json").write_bytes(b"{not json")  # one content document malformed
    db = tmp_path / "m.duckdb"
    result = replay(recording, db)
    status, reasons, _, errors = last_run(db)
    assert status == "degraded" and errors == 1, reasons
    assert result.returncode == 0, result.stderr[-3000:]


def test_unknown_spider_exits_nonzero(tmp_path):
    result = crawl("no_such_marketplace", f"DUCKDB_PATH={tmp_path / 'm.duckdb'}")
    assert result.returncode != 0 and "no_such_marketplace" in result.stderr
