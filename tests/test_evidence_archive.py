"""The evidence archive of every crawl (marketplace_spiders.evidence.archive / source / store), with real crawls.

A replay of a bundled recording must leave a WARC archive in which every fetch row's pointer names the record
whose payload digest is the row's response_sha256; every observation must be traceable to its record by SQL;
the archive must replay through the real spider to the same rows (one capture format, not two); a corrupt
archive must fail the run naming the file and the record's offset; a fetch that got no response is on record.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import zipfile
from pathlib import Path

import duckdb
import pytest
from crawl_process import WB_RUNS, replay
from warcio.archiveiterator import ArchiveIterator

from marketplace_spiders.evidence.source import ArchiveSource
from marketplace_spiders.evidence.store import parse_member, read_member

ROOT = Path(__file__).resolve().parents[1]
SCRAPY = str(Path(sys.executable).with_name("scrapy"))
WARCIO = str(Path(sys.executable).with_name("warcio"))
TABLES = ("listing_observations", "seller_observations", "search_hits")


def rows(db: Path, table: str) -> list[str]:
    with duckdb.connect(str(db), read_only=True) as con:
        return sorted(map(str, con.execute(f"SELECT * EXCLUDE (run_id) FROM {table}").fetchall()))


def run_folder(db: Path) -> Path:
    [folder] = list((Path(f"{db}.evidence") / "wildberries").iterdir())
    return folder


@pytest.fixture(scope="module")
def replayed(tmp_path_factory) -> Path:
    """run-1 of the Wildberries timeline replayed into a fresh database (archived and packaged)."""
    db = tmp_path_factory.mktemp("archive") / "db.duckdb"
    result = replay(WB_RUNS / "run-1", db, "REPLAY_OBSERVED_AT=2026-11-01T06:00:00Z")
    assert result.returncode == 0, result.stderr[-3000:]
    return db


def test_every_fetch_points_to_the_record_of_the_bytes_it_read(replayed):
    root = Path(f"{replayed}.evidence")
    with duckdb.connect(str(replayed), read_only=True) as con:
        fetches = con.execute("SELECT response_sha256, warc_file, warc_record_id, warc_offset, warc_length, url "
                              "FROM fetches").fetchall()
        run = con.execute("SELECT run_id, evidence_path, evidence_sha256, evidence_tokens FROM crawl_runs").fetchone()
    assert fetches and all(f[2] for f in fetches)
    for sha256, warc_file, record_id, offset, length, url in fetches:
        record, payload = parse_member(read_member(root, warc_file, offset, length))
        assert record.rec_headers.get_header("WARC-Record-ID") == record_id
        assert record.rec_headers.get_header("WARC-Target-URI") == url
        assert record.rec_headers.get_header("WARC-Payload-Digest") == f"sha256:{sha256}"
        assert hashlib.sha256(payload).hexdigest() == sha256
        assert record.rec_headers.get_header("WARC-Monitor-Replay") == "true"
    run_id, evidence_path, evidence_sha256, tokens = run
    assert evidence_path == f"wildberries/{run_id}"
    package = root / evidence_path / f"{run_id}.wacz"
    assert hashlib.sha256(package.read_bytes()).hexdigest() == evidence_sha256
    assert tokens == 0  # no EVIDENCE_TSA_URLS: hashed, unsigned


def test_every_row_is_traced_to_its_record_by_sql(replayed):
    with duckdb.connect(str(replayed), read_only=True) as con:
        traced = con.execute("SELECT row_kind, count(*), count(warc_record_id) FROM evidence_of_rows "
                             "GROUP BY row_kind ORDER BY row_kind").fetchall()
    kinds = {kind: (total, with_record) for kind, total, with_record in traced}
    assert set(kinds) == {"description", "listing_observation", "search_hit", "seller_observation"}
    assert all(total > 0 and total == with_record for total, with_record in kinds.values()), kinds


def test_the_warcs_are_valid_warc_1_1_with_a_warcinfo_naming_the_run(replayed, tmp_path):
    folder = run_folder(replayed)
    with zipfile.ZipFile(folder / f"{folder.name}.wacz") as wacz:
        names = [n for n in wacz.namelist() if n.startswith("archive/")]
        assert names and all(wacz.getinfo(n).compress_type == zipfile.ZIP_STORED for n in names)
        wacz.extractall(tmp_path, members=names)
    warcs = sorted((tmp_path / "archive").glob("*.warc.gz"))
    check = subprocess.run([WARCIO, "check", "-v", *map(str, warcs)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "digest pass" in check.stdout and "fail" not in check.stdout
    with open(warcs[0], "rb") as handle:
        first = next(iter(ArchiveIterator(handle)))
        assert first.rec_headers.protocol == "WARC/1.1"
        assert first.rec_type == "warcinfo"
        info = first.content_stream().read().decode()
    assert f"run-id: {folder.name}" in info and "replay: true" in info and "marketplace: wildberries" in info
    assert f"replay-source: {WB_RUNS / 'run-1'}" in info
    assert "replay-observed-at: 2026-11-01T06:00:00Z" in info
    # responses are archived with the time they were recorded, not the replay's observation time
    recorded = {json.loads(line)["recorded_at"] for line in (WB_RUNS / "run-1" / "responses.jsonl").open()}
    with open(warcs[0], "rb") as handle:
        dates = {r.rec_headers.get_header("WARC-Date") for r in ArchiveIterator(handle) if r.rec_type == "response"}
    assert {d[:19] for d in dates} <= {r[:19] for r in recorded}


def test_the_archive_replays_to_the_same_rows_and_is_recognised_as_the_same_run(replayed, tmp_path):
    folder = run_folder(replayed)
    again = tmp_path / "again.duckdb"
    result = replay(folder, again)  # the archive of a replay keeps that replay's observation time
    assert result.returncode == 0, result.stderr[-3000:]
    for table in TABLES:
        assert rows(again, table) == rows(replayed, table), table
    with duckdb.connect(str(again), read_only=True) as con:
        [(recording_id,)] = con.execute("SELECT recording_id FROM crawl_runs").fetchall()
    assert recording_id == f"run:{folder.name}"

    # into the database that holds the run already: the same run again, not ingested twice
    copy = tmp_path / "same.duckdb"
    shutil.copy(replayed, copy)
    before = {table: rows(copy, table) for table in TABLES}
    result = replay(folder, copy, f"EVIDENCE_DIR={tmp_path / 'ev'}")
    assert "not ingested again" in result.stderr
    assert {table: rows(copy, table) for table in TABLES} == before


def test_a_corrupt_archive_fails_the_run_naming_the_file_and_the_offset(replayed, tmp_path):
    folder = run_folder(replayed)
    with zipfile.ZipFile(folder / f"{folder.name}.wacz") as wacz:
        [name] = [n for n in wacz.namelist() if n.startswith("archive/")]
        data = wacz.read(name)
    # the third record's gzip member is garbled: everything before it reads, the rest must not be guessed
    (tmp_path / "probe.warc.gz").write_bytes(data)
    offsets = []
    with open(tmp_path / "probe.warc.gz", "rb") as handle:
        iterator = ArchiveIterator(handle)
        for record in iterator:
            record.content_stream().read()
            offsets.append(iterator.get_record_offset())
    cut = offsets[3] + 40
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "run-00000.warc.gz").write_bytes(data[:cut] + b"\x00garbage" + data[cut + 60:])
    db = tmp_path / "db.duckdb"
    result = replay(broken, db)
    assert result.returncode == 1
    with duckdb.connect(str(db), read_only=True) as con:
        status, reasons = con.execute("SELECT status, status_reasons FROM crawl_runs").fetchone()
        observed = con.execute("SELECT count(*) FROM listing_observations").fetchone()[0]
    assert status == "failed"
    assert "bad recording" in reasons and "run-00000.warc.gz" in reasons and "offset" in reasons
    assert observed == 0


def test_an_archive_member_that_is_not_a_file_inside_the_folder_is_refused(replayed, tmp_path):
    outside = tmp_path / "outside.warc.gz"
    outside.write_bytes(gzip.compress(b"WARC/1.1\r\n"))
    folder = tmp_path / "run"
    folder.mkdir()
    os.symlink(outside, folder / "run-00000.warc.gz")
    with pytest.raises(ValueError, match="outside the recording"):
        ArchiveSource(folder)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


PROBE = """
import scrapy
from marketplace_spiders.spiders.base import MarketplaceSpider

class Probe(MarketplaceSpider):
    name = "probe"

    async def start(self):
        self.load_history()
        yield scrapy.Request(self.base + "/nothing-listens-here", meta={"page_type": "detail"}, errback=self.failed)

    def failed(self, failure):
        yield self.failed_fetch(failure)
"""


def test_a_fetch_that_got_no_response_is_on_record(tmp_path):
    spider = tmp_path / "probe.py"
    spider.write_text(PROBE)
    db = tmp_path / "db.duckdb"
    subprocess.run([SCRAPY, "runspider", str(spider), "-a", f"base=http://127.0.0.1:{free_port()}",
                    "-s", f"DUCKDB_PATH={db}", "-s", "RETRY_ENABLED=False"],
                   cwd=ROOT, capture_output=True, text=True, timeout=120)
    with duckdb.connect(str(db), read_only=True) as con:
        outcome, reason, warc_file, offset, length = con.execute(
            "SELECT outcome, reason, warc_file, warc_offset, warc_length FROM fetches").fetchone()
    assert outcome == "failed" and "ConnectionRefused" in reason
    record, payload = parse_member(read_member(Path(f"{db}.evidence"), warc_file, offset, length))
    assert record.rec_type == "metadata"
    assert "ConnectionRefused" in json.loads(payload)["error"]


def test_archiving_off_leaves_no_archive_and_no_pointers(tmp_path):
    db = tmp_path / "db.duckdb"
    result = replay(WB_RUNS / "run-1", db, "EVIDENCE_ARCHIVE=False")
    assert result.returncode == 0, result.stderr[-3000:]
    assert not Path(f"{db}.evidence").exists()
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*), count(warc_record_id) FROM fetches").fetchone()[1] == 0
        assert con.execute("SELECT evidence_path FROM crawl_runs").fetchone() == (None,)


def test_verify_passes_on_a_replayed_run_and_fails_naming_the_record_after_one_flipped_byte(replayed, tmp_path):
    folder = tmp_path / run_folder(replayed).name
    shutil.copytree(run_folder(replayed), folder)
    ok = subprocess.run([SCRAPY, "evidence", "verify", str(folder)], cwd=ROOT, capture_output=True, text=True,
                        timeout=120)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "RESULT: OK" in ok.stdout and "UNSIGNED" in ok.stdout
    wacz = folder / f"{folder.name}.wacz"
    with zipfile.ZipFile(wacz) as package:
        [name] = [n for n in package.namelist() if n.startswith("archive/")]
        info = package.getinfo(name)
    probe = tmp_path / "probe.warc.gz"
    with zipfile.ZipFile(wacz) as package:
        probe.write_bytes(package.read(name))
    records = []
    with open(probe, "rb") as handle:
        iterator = ArchiveIterator(handle)
        for record in iterator:
            record_id = record.rec_headers.get_header("WARC-Record-ID")
            kind = record.rec_type
            record.content_stream().read()
            records.append((iterator.get_record_offset(), kind, record_id))
    offset, _kind, record_id = next(r for r in records if r[1] == "response")
    # the byte in the middle of the first response's gzip member, inside the stored (uncompressed) zip entry
    with zipfile.ZipFile(wacz) as package:
        header_offset = package.getinfo(name).header_offset
    raw = bytearray(wacz.read_bytes())
    local_header = raw[header_offset:header_offset + 30]
    data_start = header_offset + 30 + int.from_bytes(local_header[26:28], "little") + int.from_bytes(
        local_header[28:30], "little")
    next_offset = next(r[0] for r in records if r[0] > offset)
    position = data_start + (offset + next_offset) // 2
    assert position < data_start + info.file_size
    raw[position] ^= 0x01
    wacz.write_bytes(bytes(raw))
    bad = subprocess.run([SCRAPY, "evidence", "verify", str(folder)], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "FAIL" in bad.stdout and record_id in bad.stdout


def _hostile_archive(folder: Path, case: str) -> Path:
    """A one-response archive with one thing wrong (``case``), written with warcio as a tampered copy would be."""
    from io import BytesIO

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    folder.mkdir(parents=True)
    info = {"run-id": "wildberries-20261101T060000Z-00000000", "marketplace": "wildberries",
            "recorded-at": "not a time" if case == "warcinfo_time" else "2026-11-01T06:00:00+00:00",
            "terms": '"Кымдан"' if case == "warcinfo_terms" else '["Кымдан"]'}
    body = b'{"products": []}' * (100 if case == "oversized_body" else 1)
    status = "abc Bad" if case == "status_text" else "200 OK"
    headers = {"WARC-Date": "yesterday" if case == "warc_date" else "2026-11-01T06:00:00Z",
               "WARC-Monitor-Kind": "ftp" if case == "unknown_kind" else "http"}
    with open(folder / "run-00000.warc.gz", "wb") as handle:
        writer = WARCWriter(handle, gzip=True, warc_version="1.1")
        writer.write_record(writer.create_warcinfo_record("run-00000.warc.gz", info))
        http = StatusAndHeaders(status, [("Content-Type", "application/json")], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record("https://search.wb.ru/x", "response", payload=BytesIO(body),
                                                      length=len(body), http_headers=http,
                                                      warc_headers_dict=headers))
    if case == "not_gzip_inside":
        (folder / "run-00000.warc.gz").write_bytes(b"\x1f\x8b\x08\x00garbage that is no gzip stream")
    return folder


@pytest.mark.parametrize("case, message", [
    ("warcinfo_time", "warcinfo recorded-at 'not a time' is not an ISO 8601 time"),
    ("warcinfo_terms", "is not a list of non-empty strings"),
    ("status_text", "HTTP status"),
    ("warc_date", "WARC-Date 'yesterday' is not an ISO 8601 time"),
    ("unknown_kind", "WARC-Monitor-Kind 'ftp' is not one of http, browser"),
    ("not_gzip_inside", "offset 0"),
])
def test_a_hostile_archive_is_refused_naming_the_file_and_the_record(tmp_path, case, message):
    folder = _hostile_archive(tmp_path / case, case)
    with pytest.raises(ValueError) as refused:
        ArchiveSource(folder)
    assert message in str(refused.value)
    assert "run-00000.warc.gz" in str(refused.value)


def test_an_archived_body_over_download_maxsize_is_refused_when_served(tmp_path):
    from scrapy import Request

    folder = _hostile_archive(tmp_path / "big", "oversized_body")
    source = ArchiveSource(folder, max_body_bytes=100)
    with pytest.raises(ValueError, match="more than the limit of 100 bytes"):
        source.lookup(Request("https://search.wb.ru/x"))


def test_the_crawlers_cookies_are_not_archived_but_the_rest_of_the_exchange_is(tmp_path):
    from datetime import UTC, datetime

    from marketplace_spiders.evidence.archive import EvidenceArchive

    archive = EvidenceArchive(tmp_path, "wildberries", "run-1", replay=False, info={})
    archive.save_response(url="https://card.wb.ru/cards/v4/detail?nm=1", method="GET",
                          request_headers=[("Cookie", "session=secret"), ("Accept", "application/json")],
                          request_body=b"", status=200,
                          headers=[("Content-Type", "application/json"), ("Set-Cookie", "session=secret"),
                                   ("Content-Encoding", "gzip")],
                          body=b"{}", fetched_at=datetime(2026, 11, 1, 6, tzinfo=UTC), kind="http")
    archive.close()
    with open(tmp_path / "wildberries" / "run-1" / "run-1-00000.warc.gz", "rb") as handle:
        exchange = {r.rec_type: dict(r.http_headers.headers) for r in ArchiveIterator(handle) if r.http_headers}
    assert exchange["request"] == {"Host": "card.wb.ru", "Accept": "application/json"}
    assert exchange["response"] == {"Content-Type": "application/json"}
