"""A tampered recording replayed by the real spider: it fails the run loudly, naming file and line, and nothing
outside the recording folder is ever read, copied to the quarantine or stored in ``fetches``.

Each case starts from a copy of the bundled recording (marketplaces/wildberries/fixtures/timeline/run-1) and
changes one thing.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from crawl_process import copy_run, entries, last_run, line_of, query, replay, write_entries

# Real crawl/ingest processes: behind the `slow` marker (make test-slow; .ci/run runs both).
pytestmark = pytest.mark.slow

SECRET = b'{"products": [], "SECRET-OUTSIDE-THE-RECORDING": "root:x:0:0"}'


def point_body(recording: Path, url_part: str, body_file: str) -> int:
    """Make the entry whose URL contains ``url_part`` name ``body_file``; returns its line number."""
    lines = entries(recording)
    number = line_of(recording, url_part)
    lines[number - 1]["body_file"] = body_file
    write_entries(recording, lines)
    return number


def assert_failed_loudly(result, db: Path, recording: Path, line: int, words: str) -> str:
    """Exit code 1, the run failed with the file and line in its reason, every request a failed fetch row, no
    traceback; returns the reason."""
    assert result.returncode == 1, result.stderr[-3000:]
    status, reasons, requests, errors = last_run(db)
    assert status == "failed"
    assert f"{recording.resolve() / 'responses.jsonl'}:{line}:" in reasons and words in reasons, reasons
    rows = query(db, "SELECT outcome, reason FROM fetches")
    assert len(rows) == requests == errors > 0
    assert all(outcome == "failed" and "bad recording" in reason for outcome, reason in rows)
    assert "Traceback" not in result.stderr
    return reasons


def assert_secret_never_read(db: Path, result) -> None:
    quarantine = Path(str(db) + ".quarantine")
    kept = [p.read_bytes() for p in quarantine.rglob("*") if p.is_file()] if quarantine.exists() else []
    assert not any(b"SECRET-OUTSIDE" in body or b"root:x:0" in body for body in kept)
    assert query(db, "SELECT count(*) FROM fetches WHERE reason LIKE '%SECRET%' OR reason LIKE '%root:x%'") == [(0,)]
    assert "SECRET-OUTSIDE" not in result.stderr and "root:x:0" not in result.stderr


@pytest.fixture
def secret(tmp_path) -> Path:
    path = tmp_path / "secret.json"
    path.write_bytes(SECRET)
    return path


@pytest.mark.parametrize("how", ["parent_traversal", "absolute_path", "symlink_out"])
def test_body_file_outside_the_recording_is_refused_unread(tmp_path, secret, how):
    recording = copy_run(tmp_path)
    if how == "parent_traversal":
        body_file = "bodies/../../secret.json"
    elif how == "absolute_path":
        body_file = str(secret)
    else:
        os.symlink(secret, recording / "bodies" / "innocent.json")
        body_file = "bodies/innocent.json"
    line = point_body(recording, "query=Royal", body_file)
    db = tmp_path / "m.duckdb"
    result = replay(recording, db)
    reasons = assert_failed_loudly(result, db, recording, line,
                                   "absolute path" if how == "absolute_path" else "outside the recording")
    assert_secret_never_read(db, result)
    assert query(db, "SELECT count(*) FROM search_hits") == [(0,)], reasons


def test_etc_passwd_through_parent_traversal_is_refused(tmp_path):
    recording = copy_run(tmp_path)
    line = point_body(recording, "upstreams", "../" * 40 + "etc/passwd")
    db = tmp_path / "m.duckdb"
    result = replay(recording, db)
    assert_failed_loudly(result, db, recording, line, "outside the recording")
    assert_secret_never_read(db, result)


def test_dev_zero_behind_a_symlink_is_refused_without_reading(tmp_path):
    recording = copy_run(tmp_path)
    os.symlink("/dev/zero", recording / "bodies" / "zero.json")
    line = point_body(recording, "cards/v4/detail", "bodies/zero.json")
    db = tmp_path / "m.duckdb"
    result = replay(recording, db, timeout=60)
    assert_failed_loudly(result, db, recording, line, "outside the recording")
    assert result.seconds < 45


def test_fifo_body_fails_in_bounded_time(tmp_path):
    recording = copy_run(tmp_path)
    fifo = recording / "bodies" / "search-1.json"
    fifo.unlink()
    os.mkfifo(fifo)  # nothing ever writes to it: opening it for reading would block forever
    db = tmp_path / "m.duckdb"
    result = replay(recording, db, timeout=60)
    assert_failed_loudly(result, db, recording, line_of(recording, "query=%D0%9A%D1%8B%D0%BC"), "a FIFO")
    assert result.seconds < 45


def test_fifo_as_the_index_fails_in_bounded_time(tmp_path):
    recording = copy_run(tmp_path)
    (recording / "responses.jsonl").unlink()
    os.mkfifo(recording / "responses.jsonl")
    db = tmp_path / "m.duckdb"
    result = replay(recording, db, timeout=60)
    assert result.returncode == 1 and result.seconds < 45
    status, reasons, requests, _ = last_run(db)
    assert status == "failed" and "responses.jsonl" in reasons and "a FIFO" in reasons
    assert "Traceback" not in result.stderr


def test_body_above_download_maxsize_is_refused(tmp_path):
    recording = copy_run(tmp_path)
    sizes = [(recording / entry["body_file"]).stat().st_size for entry in entries(recording)]
    largest = max(sizes)
    db = tmp_path / "m.duckdb"
    result = replay(recording, db, f"DOWNLOAD_MAXSIZE={largest - 1}")  # only the largest body is too big
    reasons = assert_failed_loudly(result, db, recording, sizes.index(largest) + 1, "DOWNLOAD_MAXSIZE")
    assert f"{largest} bytes" in reasons


@pytest.mark.parametrize(
    ("line", "words"),
    [
        (b"[1, 2]", "a JSON list, expected an object"),
        (b'{"method": "GET", "url": 12345, "status": 200, "body_file": "bodies/upstreams.json"}',
         "url 12345 is not a string"),
        ('{"method": "GET", "url": "https://card.wb.ru/x", "body_file": "bodies/\u043a'.encode()[:-1] + b'"}',
         "not valid UTF-8"),
        (b'{"method": "GET", "url": "https://card.wb.ru/x", "status": "200", "body_file": "bodies/detail.json"}',
         "is not an HTTP status"),
        (b'{"method": "GET", "url": "https://card.wb.ru/x", "body_file": "bodies/detail.json"', "not JSON"),
        (b'{"method": "GET", "url": "https://card.wb.ru/x", "body_file": "bodies/detail.json", '
         b'"headers": {"Server": 5}}', "headers is not an object"),
    ],
    ids=["json_array", "url_number", "invalid_utf8", "status_string", "truncated_json", "header_number"],
)
def test_malformed_line_fails_the_run_naming_the_line(tmp_path, line, words):
    recording = copy_run(tmp_path)
    lines: list = entries(recording)
    lines.insert(3, line)  # becomes line 4
    write_entries(recording, lines)
    db = tmp_path / "m.duckdb"
    result = replay(recording, db)
    assert_failed_loudly(result, db, recording, 4, words)


def test_duplicate_entry_for_one_request_is_reported(tmp_path):
    recording = copy_run(tmp_path)
    lines = entries(recording)
    detail = line_of(recording, "cards/v4/detail")
    twin = dict(lines[detail - 1], body_file="bodies/search-1.json")
    lines.append(twin)
    write_entries(recording, lines)
    db = tmp_path / "m.duckdb"
    result = replay(recording, db)
    reasons = assert_failed_loudly(result, db, recording, len(lines), f"duplicate of line {detail}")
    assert "cards/v4/detail" in reasons


def test_meta_json_that_is_not_an_object_fails_the_run(tmp_path):
    recording = copy_run(tmp_path)
    (recording / "meta.json").write_text(json.dumps(["not", "an", "object"]), "utf-8")
    db = tmp_path / "m.duckdb"
    result = replay(recording, db)
    assert result.returncode == 1
    status, reasons, _, _ = last_run(db)
    assert status == "failed" and "meta.json: a JSON list, expected an object" in reasons


def test_symlink_that_stays_inside_the_recording_is_served(tmp_path):
    recording = copy_run(tmp_path)
    os.symlink("upstreams.json", recording / "bodies" / "alias.json")
    point_body(recording, "upstreams", "bodies/alias.json")
    db = tmp_path / "m.duckdb"
    result = replay(recording, db)
    assert "bad recording" not in result.stderr
    assert query(db, "SELECT outcome FROM fetches WHERE page_type = 'routing'") == [("ok",)]
