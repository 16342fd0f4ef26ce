"""The evidence of a browser page, end to end: a real Chromium renders a real local page whose content exists only
after JavaScript runs; the run's WARC must hold the network response as the server sent it, the DOM as rendered
(the bytes the parser read, which the fetch row points to), and a full-page screenshot linked to the response."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from test_browser_e2e import PRODUCTS, Shop, shop  # noqa: F401 - the real local shop server fixture
from warcio.archiveiterator import ArchiveIterator

from marketplace_spiders.evidence.store import parse_member, read_member

ROOT = Path(__file__).resolve().parents[1]
SCRAPY = str(Path(sys.executable).with_name("scrapy"))

SPIDER = """
import scrapy
from marketplace_spiders.browser import browser_request_meta, browser_settings
from marketplace_spiders.spiders.base import MarketplaceSpider

class JsShopRun(MarketplaceSpider):
    name = "jsshop"
    expected_body = "html"
    custom_settings = {**browser_settings(), "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": 1, "CONCURRENT_REQUESTS": 1}

    async def start(self):
        self.load_history()
        for n in (1, 2):
            meta = {"page_type": "product_page" if n == 1 else "search", "product_ids": [str(n)],
                    **browser_request_meta("h1.title", config=self.settings)}
            yield scrapy.Request(f"{self.base}/product/{n}", meta=meta, errback=self.on_error)

    def parse(self, response):
        yield self.fetch_record(response, response.meta["page_type"], product_ids=response.meta["product_ids"])

    def on_error(self, failure):
        yield self.failed_fetch(failure)
"""


def records(path: Path) -> list[tuple[str, dict, bytes]]:
    out = []
    with open(path, "rb") as handle:
        for record in ArchiveIterator(handle):
            out.append((record.rec_type, dict(record.rec_headers.headers), record.content_stream().read()))
    return out


@pytest.mark.browser
def test_a_browser_page_is_archived_as_sent_as_rendered_and_as_seen(shop, tmp_path):  # noqa: F811
    spider = tmp_path / "jsshop_run.py"
    spider.write_text(SPIDER)
    db = tmp_path / "db.duckdb"
    result = subprocess.run(
        [SCRAPY, "runspider", str(spider), "-a", f"base={shop}", "-s", f"DUCKDB_PATH={db}",
         "-s", "EVIDENCE_PACKAGE=False", "-s", "LOG_LEVEL=INFO"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, env={**os.environ})
    assert "Traceback" not in result.stderr, result.stderr[-3000:]

    con = duckdb.connect(str(db), read_only=True)
    fetches = con.execute("SELECT page_type, response_sha256, warc_file, warc_record_id, warc_offset, warc_length "
                          "FROM fetches ORDER BY page_type").fetchall()
    assert [f[0] for f in fetches] == ["product_page", "search"]
    root = Path(f"{db}.evidence")
    folder = root / "jsshop"
    [run] = list(folder.iterdir())
    main = records(run / f"{run.name}-00000.warc.gz")
    shots = records(run / f"{run.name}-screenshots-00000.warc.gz")
    kinds = [kind for kind, _, _ in main]
    assert kinds == ["warcinfo", "response", "request", "conversion", "response", "request", "conversion"]

    for page_type, sha256, warc_file, record_id, offset, length in fetches:
        record, payload = parse_member(read_member(root, warc_file, offset, length))
        # the fetch points to the DOM as rendered: what the parser read, digest == response_sha256
        assert record.rec_type == "conversion"
        assert record.rec_headers.get_header("WARC-Record-ID") == record_id
        assert record.rec_headers.get_header("WARC-Payload-Digest") == f"sha256:{sha256}"
        n = 1 if page_type == "product_page" else 2
        assert f'<h1 class="title">{PRODUCTS[n][0]}</h1>' in payload.decode()
        response_id = record.rec_headers.get_header("WARC-Refers-To")
        [(_, response_headers, network_body)] = [r for r in main if r[0] == "response"
                                                  and r[1]["WARC-Record-ID"] == response_id]
        # the response record is the page as the server sent it: the title is not there before JavaScript runs
        assert PRODUCTS[n][0] not in network_body.decode()
        assert "var state" in network_body.decode()
        assert response_headers["WARC-Monitor-Kind"] == "browser"

    # one full-page screenshot, of the product page only (EVIDENCE_SCREENSHOTS default: product_page)
    [(kind, headers, png)] = [r for r in shots if r[0] != "warcinfo"]
    assert kind == "resource"
    assert headers["Content-Type"] == "image/png"
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 1000
    assert headers["WARC-Target-URI"] == f"urn:screenshot:{shop}/product/1"
    product_response = [r for r in main if r[0] == "response" and r[1]["WARC-Target-URI"].endswith("/product/1")]
    assert headers["WARC-Concurrent-To"] == product_response[0][1]["WARC-Record-ID"]

    check = subprocess.run([str(Path(sys.executable).with_name("warcio")), "check", *map(str, run.glob("*.warc.gz"))],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
