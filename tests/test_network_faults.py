"""Ordinary network faults in real live crawls: every failed request is a ``fetches`` row, a host that keeps
refusing connections is not asked again, and a run where no host answers stops early as ``failed``.

"No network" is made real and local: every request goes through an HTTP proxy on a 127.0.0.1 port where
nothing listens (Scrapy's HttpProxyMiddleware and curl_cffi both honour ``https_proxy``), so each
connection is refused at once, for Scrapy's own download handler and for scrapy-impersonate's curl_cffi.
"""

from __future__ import annotations

import json
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from crawl_process import ROOT, SCRAPY, closed_port, crawl, last_run, query

# Real crawl/ingest processes: behind the `slow` marker (make test-slow; .ci/run runs both).
pytestmark = pytest.mark.slow

TERMS = "Кымдан-2;Royal Blood-Fresh;Кэсонский женьшень;Нео-Виагра"


def unreachable_env() -> dict:
    proxy = f"http://127.0.0.1:{closed_port()}"
    return {"https_proxy": proxy, "http_proxy": proxy, "HTTPS_PROXY": proxy, "HTTP_PROXY": proxy,
            "no_proxy": "", "NO_PROXY": ""}


@pytest.mark.parametrize("impersonate", [True, False], ids=["curl_cffi_impersonation", "scrapy_handler"])
def test_no_host_reachable_stops_the_live_run_fast_with_every_request_a_failed_row(tmp_path, impersonate):
    db = tmp_path / "m.duckdb"
    result = crawl("wildberries", f"DUCKDB_PATH={db}", f"WB_IMPERSONATE={impersonate}",
                   args=("-a", f"terms={TERMS}"), env=unreachable_env(), timeout=120)
    assert result.returncode == 1, result.stderr[-3000:]
    assert result.seconds < 60  # the default politeness settings are kept; ~10 s here
    assert "AttributeError" not in result.stderr and "Traceback" not in result.stderr
    status, reasons, requests, errors = last_run(db)
    assert status == "failed" and "every host unreachable" in reasons
    assert "cdn.wbbasket.ru" in reasons and "search.wb.ru" in reasons
    rows = query(db, "SELECT page_type, outcome, reason FROM fetches ORDER BY page_type, term")
    # the routing table and page 1 of each of the 4 terms: 5 requests, each one failed fetch row
    assert len(rows) == requests == errors == 5
    assert sorted(page for page, _, _ in rows) == ["routing"] + ["search"] * 4
    assert all(outcome == "failed" for _, outcome, _ in rows)
    assert any("refused" in reason or "Failed to connect" in reason for _, _, reason in rows)
    assert sum("HOST_MAX_CONSECUTIVE_FAILURES" in reason for _, _, reason in rows) >= 3
    assert "Closing spider (hosts_unreachable)" in result.stderr


PROBE = '''
import scrapy

class Probe(scrapy.Spider):
    name = "probe"

    async def start(self):
        for n in range(6):
            yield scrapy.Request(f"{self.down}/item-{n}", callback=self.parse, errback=self.failed,
                                 dont_filter=True)
        for n in range(3):
            yield scrapy.Request(f"{self.up}/ok-{n}", callback=self.parse, errback=self.failed)

    def parse(self, response):
        yield {"url": response.url, "outcome": "ok"}

    def failed(self, failure):
        yield {"url": failure.request.url, "outcome": "failed", "error": failure.type.__name__}
'''


class Ok(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        body = json.dumps({"path": self.path}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_one_unreachable_host_is_cut_off_while_a_reachable_host_goes_on(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    spider = tmp_path / "probe.py"
    spider.write_text(PROBE)
    out = tmp_path / "out.jsonl"
    # 127.0.0.2 is loopback too (a different host for the breaker) with nothing listening on the port
    down, up = f"http://127.0.0.2:{closed_port()}", f"http://127.0.0.1:{server.server_address[1]}"
    try:
        result = subprocess.run(
            [SCRAPY, "runspider", str(spider), "-a", f"down={down}", "-a", f"up={up}", "-o", str(out),
             "-s", "ITEM_PIPELINES={}", "-s", "DOWNLOAD_DELAY=0", "-s", "RETRY_TIMES=2",
             "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1"],
            cwd=ROOT, capture_output=True, text=True, timeout=120,
        )
    finally:
        server.shutdown()
        server.server_close()
    assert result.returncode == 0, result.stderr[-3000:]
    items = [json.loads(line) for line in out.read_text().splitlines()]
    failed = [i for i in items if i["outcome"] == "failed"]
    assert len(failed) == 6 and {i["url"] for i in failed} == {f"{down}/item-{n}" for n in range(6)}
    assert sum(i["outcome"] == "ok" for i in items) == 3  # the reachable host was not cut off
    # after 3 refused connections the host is not asked again: later requests fail without a connection
    assert sum(i["error"] == "HostUnreachable" for i in failed) >= 4
    assert "'hosts/unreachable': 1" in result.stderr
    assert "finish_reason': 'finished'" in result.stderr


CHAIN = '''
import scrapy


class Chain(scrapy.Spider):
    """Strictly one request after the other: refused, answered, refused, answered, ... on one host."""
    name = "chain"

    async def start(self):
        yield self.step(0)

    def step(self, n):
        base = self.down if n % 2 == 0 else self.up
        return scrapy.Request(f"{base}/step-{n}", callback=self.answered, errback=self.failed,
                              dont_filter=True, cb_kwargs={"n": n})

    def answered(self, response, n):
        yield {"n": n, "outcome": "ok"}
        if n < 7:
            yield self.step(n + 1)

    def failed(self, failure):
        n = failure.request.cb_kwargs["n"]
        yield {"n": n, "outcome": "failed", "error": failure.type.__name__}
        if n < 7:
            yield self.step(n + 1)
'''


def test_an_answer_from_the_host_resets_its_count(tmp_path):
    """Failures must be consecutive: 2 refused attempts (a request and its retry), an answer, 2 refused, ...
    never reach 3 on one host (the same host name, another port)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    spider = tmp_path / "chain.py"
    spider.write_text(CHAIN)
    out = tmp_path / "out.jsonl"
    down, up = f"http://127.0.0.1:{closed_port()}", f"http://127.0.0.1:{server.server_address[1]}"
    try:
        result = subprocess.run(
            [SCRAPY, "runspider", str(spider), "-a", f"down={down}", "-a", f"up={up}", "-o", str(out),
             "-s", "ITEM_PIPELINES={}", "-s", "DOWNLOAD_DELAY=0", "-s", "RETRY_TIMES=1",
             "-s", "HOST_MAX_CONSECUTIVE_FAILURES=3"],
            cwd=ROOT, capture_output=True, text=True, timeout=120,
        )
    finally:
        server.shutdown()
        server.server_close()
    assert result.returncode == 0, result.stderr[-3000:]
    items = sorted((json.loads(line) for line in out.read_text().splitlines()), key=lambda i: i["n"])
    assert [i["outcome"] for i in items] == ["failed", "ok"] * 4
    assert not any(i.get("error") == "HostUnreachable" for i in items)
    assert "hosts/unreachable" not in result.stderr


def test_breaker_disabled_with_zero_still_records_every_request(tmp_path):
    db = tmp_path / "m.duckdb"
    result = crawl("wildberries", f"DUCKDB_PATH={db}", "HOST_MAX_CONSECUTIVE_FAILURES=0", "RETRY_TIMES=0",
                   "DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=False",
                   args=("-a", "terms=Кымдан-2;Royal Blood-Fresh"), env=unreachable_env(), timeout=120)
    assert result.returncode == 1
    status, reasons, requests, errors = last_run(db)
    assert status == "failed" and "every host unreachable" not in reasons
    assert requests == errors == 3 and query(db, "SELECT count(*) FROM fetches WHERE outcome = 'failed'") == [(3,)]
    assert "AttributeError" not in result.stderr



def test_connection_failures_of_every_download_stack_count_and_answers_do_not():
    """The breaker's classification, on the real exception types of Scrapy, curl_cffi and Playwright."""
    from curl_cffi.requests.exceptions import DNSError, HTTPError
    from playwright.async_api import Error as PlaywrightError
    from scrapy.exceptions import CannotResolveHostError, IgnoreRequest
    from twisted.internet.error import ConnectionLost, ConnectionRefusedError, DNSLookupError

    from marketplace_spiders.host_breaker import is_connection_failure

    assert all(is_connection_failure(e) for e in (
        CannotResolveHostError(), DNSLookupError(), ConnectionRefusedError(), DNSError("curl: (6) Could not resolve"),
        PlaywrightError("Page.goto: net::ERR_NAME_NOT_RESOLVED at https://www.ozon.ru/"),
    ))
    # the host answered (a dropped connection, an HTTP error, a page error): not a sign the host is unreachable
    assert not any(is_connection_failure(e) for e in (
        ConnectionLost(), HTTPError("500"), IgnoreRequest(), ValueError("x"),
        PlaywrightError("Page.goto: net::ERR_ABORTED at https://www.ozon.ru/"),
    ))
