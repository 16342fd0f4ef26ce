"""Archive a live crawl from a real local HTTP server, then replay its archive offline with the server gone."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from scrapy import Request

from marketplace_spiders.evidence.source import ArchiveSource
from marketplace_spiders.recording import Recording, ReplayMiss, request_key

ROOT = Path(__file__).resolve().parents[1]
SCRAPY = str(Path(sys.executable).with_name("scrapy"))

SPIDER = '''
import json
import scrapy
from marketplace_spiders.spiders.base import MarketplaceSpider

class Probe(MarketplaceSpider):
    name = "probe"

    async def start(self):
        for path in ("/a.json", "/b.json?y=2&x=1"):
            yield scrapy.Request(self.base + path, meta={"page_type": "detail"})
        yield scrapy.Request(self.base + "/post", method="POST", body=b'{"q": 1}', callback=self.parse,
                             meta={"page_type": "detail"})

    def parse(self, response):
        with open(self.out, "a") as f:
            f.write(json.dumps({"url": response.url, "status": response.status, "body": response.text,
                                "fetched_at": response.meta["fetched_at"].isoformat(),
                                "replayed": bool(response.meta.get("replayed"))}) + "\\n")
        yield self.fetch_record(response, "detail")
'''


class Handler(BaseHTTPRequestHandler):
    hits: list[str] = []

    def _send(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802
        Handler.hits.append(self.path)
        self._send(json.dumps({"path": self.path}).encode())

    def do_POST(self) -> None:  # noqa: N802
        Handler.hits.append("POST " + self.path)
        length = int(self.headers.get("Content-Length", 0))
        self._send(json.dumps({"posted": self.rfile.read(length).decode()}).encode())

    def log_message(self, *args: object) -> None:
        pass


def run_probe(tmp_path: Path, base: str, *settings: str, db: str = "db.duckdb", ok: bool | None = True) -> tuple:
    spider_file = tmp_path / "probe.py"
    spider_file.write_text(SPIDER)
    out = tmp_path / f"out-{len(list(tmp_path.glob('out-*')))}.jsonl"
    command = [SCRAPY, "runspider", str(spider_file), "-a", f"base={base}", "-a", f"out={out}",
               "-s", f"DUCKDB_PATH={tmp_path / db}", "-s", "EVIDENCE_PACKAGE=False",
               "-s", "LOG_LEVEL=INFO", "-s", "DOWNLOAD_DELAY=0", *settings]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    if ok:
        assert "Traceback" not in result.stderr, result.stderr[-2000:]
    elif ok is False:
        assert result.returncode != 0
    return [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else [], result.stderr


def test_archive_then_replay_offline(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        live, _ = run_probe(tmp_path, base)
    finally:
        server.shutdown()
        server.server_close()
    assert len(live) == 3 and not any(item["replayed"] for item in live)
    assert sorted(Handler.hits) == ["/a.json", "/b.json?y=2&x=1", "POST /post"]

    [run] = list((tmp_path / "db.duckdb.evidence" / "probe").iterdir())
    source = ArchiveSource(run)
    assert len(source) == 3
    assert source.meta["replay"] == "false" and source.meta["run-id"] == run.name
    post = source.lookup(Request(base + "/post", method="POST", body=b'{"q": 1}'))
    assert json.loads(post.body) == {"posted": '{"q": 1}'}
    with pytest.raises(ReplayMiss):
        source.lookup(Request(base + "/post", method="POST", body=b'{"q": 2}'))

    # The server is gone: the run's own archive serves the same bodies, with the observation time we ask for.
    replayed, _ = run_probe(tmp_path, base, "-s", f"REPLAY_DIR={run}", "-s", "REPLAY_OBSERVED_AT=2026-11-01T06:00:00Z",
                            db="replay.duckdb")
    assert sorted(i["body"] for i in replayed) == sorted(i["body"] for i in live)
    assert {i["fetched_at"] for i in replayed} == {"2026-11-01T06:00:00+00:00"}
    assert all(i["replayed"] for i in replayed)


def test_record_dir_is_refused_with_what_replaces_it(tmp_path):
    items, stderr = run_probe(tmp_path, "http://127.0.0.1:9", "-s", f"RECORD_DIR={tmp_path / 'rec'}", ok=False)
    assert items == []
    assert "RECORD_DIR: is gone: every crawl now archives every response as WARC" in stderr


def test_replay_miss_fails_loudly(tmp_path):
    recording = tmp_path / "rec"
    recording.mkdir()
    (recording / "responses.jsonl").write_text("")
    items, stderr = run_probe(tmp_path, "http://127.0.0.1:9", "-s", f"REPLAY_DIR={recording}", ok=None)
    assert items == []
    assert "ReplayMiss" in stderr and "not in recording" in stderr
    assert "'replay/missing': 3" in stderr


def test_request_key_ignores_query_order_but_not_body():
    assert request_key("GET", "https://x/a?b=1&a=2") == request_key("get", "https://x/a?a=2&b=1")
    assert request_key("POST", "https://x/p", b"1") != request_key("POST", "https://x/p", b"2")


def test_recording_lookup_and_miss(tmp_path):
    (tmp_path / "bodies").mkdir()
    (tmp_path / "bodies" / "one.json").write_bytes(b"{}")
    entry = {"method": "GET", "url": "https://card.wb.ru/cards/v4/detail?nm=1;2&appType=1", "status": 200,
             "headers": {"Content-Type": ["application/json"]}, "recorded_at": "2026-11-01T06:00:00+00:00",
             "kind": "http", "body_file": "bodies/one.json"}
    (tmp_path / "responses.jsonl").write_text(json.dumps(entry) + "\n")
    rec = Recording(tmp_path)
    hit = rec.lookup(Request("https://card.wb.ru/cards/v4/detail?appType=1&nm=1;2"))
    assert hit.body == b"{}" and hit.recorded_at.isoformat() == "2026-11-01T06:00:00+00:00"
    with pytest.raises(ReplayMiss):
        rec.lookup(Request("https://card.wb.ru/cards/v4/detail?appType=1&nm=3"))


def test_a_refetch_in_an_archive_is_answered_with_the_last_response(tmp_path):
    """A re-fetch of one request (e.g. after a block page) is archived like every response; a replay of the
    archive serves the last answer, as a recording's numbered attempts are."""
    from datetime import UTC, datetime

    from marketplace_spiders.evidence.archive import EvidenceArchive

    url = "https://card.wb.ru/cards/v4/detail?nm=1"
    archive = EvidenceArchive(tmp_path, "wildberries", "run-1", replay=False, info={})
    for body in (b'{"blocked": true}', b'{"products": []}', b'{"products": [1]}'):
        archive.save_response(url=url, method="GET", request_headers=[], request_body=b"", status=200,
                              headers=[("Content-Type", "application/json")], body=body,
                              fetched_at=datetime(2026, 11, 1, 6, tzinfo=UTC), kind="http")
    archive.close()
    assert ArchiveSource(tmp_path / "wildberries" / "run-1").lookup(Request(url)).body == b'{"products": [1]}'


def test_unnumbered_duplicate_names_both_lines(tmp_path):
    from marketplace_spiders.recording import BadRecording

    (tmp_path / "bodies").mkdir()
    (tmp_path / "bodies" / "a.json").write_bytes(b"{}")
    entry = {"method": "GET", "url": "https://x.ru/a?b=1&c=2", "body_file": "bodies/a.json"}
    twin = dict(entry, url="https://x.ru/a?c=2&b=1")  # the same request: query order does not matter
    (tmp_path / "responses.jsonl").write_text(f"{json.dumps(entry)}\n\n{json.dumps(twin)}\n")
    with pytest.raises(BadRecording, match=r"responses.jsonl:3: duplicate of line 1"):
        Recording(tmp_path)
