"""A crawl given a watchlist it cannot use stops before anything is fetched: one line on stderr naming the file
and the product, a non-zero exit, no traceback, no database; real `scrapy` subprocesses."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from crawl_process import ROOT, SCRAPY, WB_RUNS, crawl, replay

# the mistake the watchlist validation exists for: a string where a list of terms belongs
BAD = '[[product]]\nid = "kumdang2"\nterms = "Кымдан-2"\n'


def bad_watchlist(tmp_path: Path) -> Path:
    path = tmp_path / "watchlist.toml"
    path.write_text(BAD, encoding="utf-8")
    return path


def the_error_line(stderr: str, prefix: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith(prefix)]
    assert len(lines) == 1, stderr[-3000:]
    return lines[0]


def test_scrapy_crawl_with_a_bad_watchlist_prints_one_line_and_exits_nonzero(tmp_path):
    watchlist, db = bad_watchlist(tmp_path), tmp_path / "m.duckdb"
    result = crawl("wildberries", f"WATCHLIST_PATH={watchlist}", f"DUCKDB_PATH={db}")
    assert result.returncode == 1
    line = the_error_line(result.stderr, "crawl: ")
    assert str(watchlist) in line and "kumdang2" in line and "'terms' must be a list" in line
    assert "Traceback" not in result.stderr
    assert not db.exists()  # nothing crawled, no run recorded


def test_scrapy_crawlall_with_a_bad_watchlist_prints_one_line_and_exits_nonzero(tmp_path):
    watchlist, db = bad_watchlist(tmp_path), tmp_path / "m.duckdb"
    result = subprocess.run([SCRAPY, "crawlall", "-s", f"WATCHLIST_PATH={watchlist}", "-s", f"DUCKDB_PATH={db}"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120, env=dict(os.environ))
    assert result.returncode == 1
    line = the_error_line(result.stderr, "crawlall: ")
    assert str(watchlist) in line and "kumdang2" in line
    assert "Traceback" not in result.stderr
    assert not db.exists()


def test_an_unreadable_watchlist_file_is_named_too(tmp_path):
    missing = tmp_path / "no-such-watchlist.toml"
    result = crawl("wildberries", f"WATCHLIST_PATH={missing}", f"DUCKDB_PATH={tmp_path / 'm.duckdb'}")
    assert result.returncode == 1
    assert str(missing) in the_error_line(result.stderr, "crawl: ")
    assert "Traceback" not in result.stderr


def test_a_replay_whose_recording_names_its_terms_does_not_read_the_watchlist(tmp_path):
    """The spider searches the recording's terms there, so a broken watchlist file is not its problem."""
    db = tmp_path / "m.duckdb"
    result = replay(WB_RUNS / "run-1", db, f"WATCHLIST_PATH={bad_watchlist(tmp_path)}")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "invalid watchlist" not in result.stderr
