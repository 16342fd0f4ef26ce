"""Record a live crawl from a real local HTTP server, then replay it offline with the server gone."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from scrapy import Request

from marketplace_spiders.recording import Recording, ReplayMiss, request_key

ROOT = Path(__file__).resolve().parents[1]
SCRAPY = str(Path(sys.executable).with_name("scrapy"))

SPIDER = '''
import json
import scrapy

class Probe(scrapy.Spider):
    name = "probe"

    async def start(self):
        for path in ("/a.json", "/b.json?y=2&x=1"):
            yield scrapy.Request(self.base + path)
        yield scrapy.Request(self.base + "/post", method="POST", body=b'{"q": 1}', callback=self.parse)

    def parse(self, response):
        yield {"url": response.url, "status": response.status, "body": response.text,
               "fetched_at": response.meta["fetched_at"].isoformat(), "replayed": bool(response.meta.get("replayed"))}
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


def run_probe(tmp_path: Path, base: str, *settings: str) -> list[dict]:
    spider_file = tmp_path / "probe.py"
    spider_file.write_text(SPIDER)
    out = tmp_path / f"out-{len(list(tmp_path.glob('out-*')))}.jsonl"
    command = [SCRAPY, "runspider", str(spider_file), "-a", f"base={base}", "-o", str(out),
               "-s", "ITEM_PIPELINES={}", "-s", "LOG_LEVEL=INFO", "-s", "DOWNLOAD_DELAY=0", *settings]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return [json.loads(line) for line in out.read_text().splitlines()], result.stderr


def test_record_then_replay_offline(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    recording = tmp_path / "rec"
    try:
        live, _ = run_probe(tmp_path, base, "-s", f"RECORD_DIR={recording}")
    finally:
        server.shutdown()
        server.server_close()
    assert len(live) == 3 and not any(item["replayed"] for item in live)
    assert sorted(Handler.hits) == ["/a.json", "/b.json?y=2&x=1", "POST /post"]

    lines = [json.loads(line) for line in (recording / "responses.jsonl").read_text().splitlines()]
    assert {line["kind"] for line in lines} == {"http"}
    assert {line["status"] for line in lines} == {200}
    post = next(line for line in lines if line["method"] == "POST")
    assert post["request_body"] == '{"q": 1}'
    assert json.loads((recording / "meta.json").read_text())["recorded_at"]

    # The server is gone: replay must serve the same bodies, with the observation time we ask for.
    replayed, _ = run_probe(tmp_path, base, "-s", f"REPLAY_DIR={recording}",
                            "-s", "REPLAY_OBSERVED_AT=2026-11-01T06:00:00Z")
    assert sorted(i["body"] for i in replayed) == sorted(i["body"] for i in live)
    assert {i["fetched_at"] for i in replayed} == {"2026-11-01T06:00:00+00:00"}
    assert all(i["replayed"] for i in replayed)


def test_replay_miss_fails_loudly(tmp_path):
    recording = tmp_path / "rec"
    recording.mkdir()
    (recording / "responses.jsonl").write_text("")
    items, stderr = run_probe(tmp_path, "http://127.0.0.1:9", "-s", f"REPLAY_DIR={recording}")
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


def test_writer_numbers_a_refetch_and_replay_serves_the_last_answer(tmp_path):
    """A re-fetch of one request (e.g. after a block page) is recorded with "attempt"; across runs appended to
    the same folder too. The replay accepts the numbered duplicate and serves the last answer."""
    from datetime import UTC, datetime

    from scrapy.http import TextResponse

    from marketplace_spiders.recording import RecordingWriter

    url = "https://card.wb.ru/cards/v4/detail?nm=1"
    now = datetime(2026, 11, 1, 6, tzinfo=UTC)

    def answer(body: bytes) -> TextResponse:
        return TextResponse(url, body=body, headers={"Content-Type": "application/json"}, request=Request(url))

    writer = RecordingWriter(tmp_path, {"marketplace": "wildberries"})
    writer.save(Request(url), answer(b'{"blocked": true}'), now, "http")
    writer.save(Request(url), answer(b'{"products": []}'), now, "http")
    writer.close()
    writer = RecordingWriter(tmp_path, {"marketplace": "wildberries"})  # a second run appending
    writer.save(Request(url), answer(b'{"products": [1]}'), now, "http")
    writer.close()
    lines = [json.loads(line) for line in (tmp_path / "responses.jsonl").read_text().splitlines()]
    assert [line.get("attempt", 0) for line in lines] == [0, 1, 2]
    assert Recording(tmp_path).lookup(Request(url)).body == b'{"products": [1]}'


def test_unnumbered_duplicate_names_both_lines(tmp_path):
    from marketplace_spiders.recording import BadRecording

    (tmp_path / "bodies").mkdir()
    (tmp_path / "bodies" / "a.json").write_bytes(b"{}")
    entry = {"method": "GET", "url": "https://x.ru/a?b=1&c=2", "body_file": "bodies/a.json"}
    twin = dict(entry, url="https://x.ru/a?c=2&b=1")  # the same request: query order does not matter
    (tmp_path / "responses.jsonl").write_text(f"{json.dumps(entry)}\n\n{json.dumps(twin)}\n")
    with pytest.raises(BadRecording, match=r"responses.jsonl:3: duplicate of line 1"):
        Recording(tmp_path)
