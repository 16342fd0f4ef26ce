"""The browser path itself: a real Chromium through scrapy-playwright (settings from marketplace_spiders.browser)
against a real local HTTP server whose product content only exists after JavaScript runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from parsel import Selector
from scrapy.settings import Settings

from marketplace_spiders import marketplaces
from marketplace_spiders.browser import (
    BrowserAddon,
    BrowserMissing,
    BrowserPagePool,
    browser_request_meta,
    browser_settings,
    ensure_browser,
)

ROOT = Path(__file__).resolve().parents[1]
SCRAPY = str(Path(sys.executable).with_name("scrapy"))
PRODUCTS = {1: ("Кымдан-2 ампулы №1", "6 999 ₽"), 2: ("Кымдан-2 ампулы №2", "6 998 ₽"), 3: ("Кымдан-2 №3", "6 997 ₽")}

# The product lives only in a JSON object (non-ASCII escaped, as state blobs usually are); a script builds the
# title and price elements from it 300 ms after load. Images, a CSS background, a web font and a video are
# referenced so that blocking can be counted.
PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>loading</title>
<style>@font-face {{ font-family: shop; src: url('/fonts/shop.woff2') format('woff2'); }}
body {{ font-family: shop, sans-serif; }} .hero {{ background: url('/img/hero-{n}.jpg'); height: 50px; }}</style>
</head><body><div class="hero"></div><img src="/img/photo-{n}.png" alt=""><video src="/media/clip-{n}.mp4"
autoplay muted></video><div id="app">Загрузка…</div>
<script>
var state = {state};
setTimeout(function () {{
  var h1 = document.createElement("h1"); h1.className = "title"; h1.textContent = state.title;
  var p = document.createElement("span"); p.className = "price"; p.textContent = state.price;
  document.getElementById("app").replaceChildren(h1, p);
}}, 300);
</script></body></html>"""

SPIDER = """
import json
import scrapy
from marketplace_spiders.browser import browser_request_meta, browser_settings, close_page, close_page_on_error

class JsShop(scrapy.Spider):
    name = "jsshop"
    custom_settings = {**browser_settings(), "ITEM_PIPELINES": {}, "LOG_LEVEL": "INFO",
                       "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": 1, "CONCURRENT_REQUESTS": 1}

    async def start(self):
        for n in range(1, int(self.n) + 1):
            meta = browser_request_meta("h1.title", config=self.settings)
            yield scrapy.Request(f"{self.base}/product/{n}", meta=meta)
        if self.n != "1":
            # a page handed to the callback, and one handed to the errback (404): both must be closed,
            # or with one page per context the next request would wait forever
            meta = browser_request_meta("h1.title", include_page=True, config=self.settings)
            yield scrapy.Request(f"{self.base}/product/2?held", meta=meta, callback=self.parse_held,
                                 errback=close_page_on_error)
            meta = browser_request_meta(None, include_page=True, config=self.settings)
            yield scrapy.Request(f"{self.base}/missing", meta=meta, errback=self.on_missing)
            meta = browser_request_meta("h1.title", config=self.settings)
            yield scrapy.Request(f"{self.base}/product/3?after", meta=meta)

    def parse(self, response):
        yield {"url": response.url, "title": response.css("h1.title::text").get(),
               "price": response.css("span.price::text").get()}

    async def parse_held(self, response):
        page = response.meta["playwright_page"]
        title = await page.text_content("h1.title")
        await close_page(response.request)
        yield {"url": response.url, "title": title, "held_page_closed": page.is_closed(),
               "open_pages": len(page.context.pages)}

    async def on_missing(self, failure):
        page = failure.request.meta["playwright_page"]
        await close_page_on_error(failure)
        yield {"url": failure.request.url, "error": type(failure.value).__name__,
               "held_page_closed": page.is_closed(), "open_pages": len(page.context.pages)}

    def closed(self, reason):
        stats = {k: v for k, v in self.crawler.stats.get_stats().items() if k.startswith(("playwright/", "browser/"))}
        with open(self.stats_file, "w") as f:
            json.dump({"reason": reason, **stats}, f)
"""


class Shop(BaseHTTPRequestHandler):
    hits: Counter[str] = Counter()
    lock = threading.Lock()

    def do_GET(self) -> None:  # noqa: N802
        path = self.path.split("?")[0]
        with Shop.lock:
            Shop.hits[path.split("/")[1]] += 1  # product, img, fonts, media, missing
        if path.startswith("/product/"):
            n = int(path.rsplit("/", 1)[1])
            state = json.dumps({"title": PRODUCTS[n][0], "price": PRODUCTS[n][1]})  # ensure_ascii: \\uXXXX
            body, ctype = PAGE.format(n=n, state=state).encode(), "text/html; charset=utf-8"
        elif path.startswith(("/img/", "/fonts/", "/media/")):
            body, ctype = b"\x89PNG\r\n\x1a\n" + b"\0" * 1000, "application/octet-stream"
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def shop() -> Iterator[str]:
    try:
        ensure_browser({})
    except BrowserMissing as exc:
        pytest.skip(f"no Chromium executable on this machine: {exc}")
    server = ThreadingHTTPServer(("127.0.0.1", 0), Shop)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def crawl(shop: str, tmp_path: Path, n: int, *options: str, env: dict[str, str] | None = None) -> tuple:
    """Run the test spider as `scrapy runspider` in the project; (completed process, items, playwright stats)."""
    Shop.hits.clear()
    spider, out, stats = tmp_path / "jsshop.py", tmp_path / "items.jsonl", tmp_path / "stats.json"
    spider.write_text(SPIDER)
    out.unlink(missing_ok=True)
    command = [SCRAPY, "runspider", str(spider), "-a", f"base={shop}", "-a", f"n={n}", "-a", f"stats_file={stats}",
               "-o", str(out), *options]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60,
                            env={**os.environ, **(env or {})})
    items = [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []
    return result, items, json.loads(stats.read_text()) if stats.exists() else {}


@pytest.mark.browser
def test_plain_http_does_not_see_the_product(shop):
    raw = urllib.request.urlopen(f"{shop}/product/1").read().decode()
    assert Selector(raw).css("h1.title").get() is None
    assert Selector(raw).css("span.price").get() is None
    assert PRODUCTS[1][0] not in raw
    assert PRODUCTS[1][1] not in raw


@pytest.mark.browser
def test_real_browser_extracts_javascript_built_content_with_media_blocked(shop, tmp_path):
    result, items, stats = crawl(shop, tmp_path, 3)

    assert result.returncode == 0, result.stderr[-3000:]
    rendered = {i["url"].removeprefix(shop): (i["title"], i["price"]) for i in items if "price" in i}
    assert rendered == {"/product/1": PRODUCTS[1], "/product/2": PRODUCTS[2], "/product/3": PRODUCTS[3],
                        "/product/3?after": PRODUCTS[3]}
    held = {i["url"].removeprefix(shop): i for i in items if "held_page_closed" in i}
    assert held["/product/2?held"]["title"] == PRODUCTS[2][0]
    assert held["/missing"]["error"] == "HttpError"
    assert all(i["held_page_closed"] for i in held.values())
    assert all(i["open_pages"] == 0 for i in held.values())
    assert stats["reason"] == "finished"
    # pages are reused (BrowserPagePool): 3 opened for 6 requests. /product/1's page served /product/2,
    # /product/3 and the held request, whose callback closed it; /missing opened one its errback closed;
    # /product/3?after opened the last, kept by the pool until the browser closed
    assert stats["playwright/page_count"] == 3
    assert stats["browser/page_reused"] == 3
    assert Shop.hits["product"] == 5
    assert Shop.hits["img"] == 0, "images must be blocked inside the browser"
    assert Shop.hits["fonts"] == 0, "fonts must be blocked inside the browser"
    assert Shop.hits["media"] == 0, "media must be blocked inside the browser"


@pytest.mark.browser
def test_a_kept_page_is_replaced_after_its_maximum_uses(shop, tmp_path):
    result, items, stats = crawl(shop, tmp_path, 3, "-s", "BROWSER_PAGE_MAX_USES=2")

    assert result.returncode == 0, result.stderr[-3000:]
    rendered = {i["url"].removeprefix(shop): (i["title"], i["price"]) for i in items if "price" in i}
    assert rendered["/product/2"] == PRODUCTS[2]
    # /product/1's page served /product/2 and was closed (2 uses); /product/3 opened the page the held request
    # took; /missing and /product/3?after opened their own
    assert stats["browser/page_closed_by_pool"] == 1
    assert stats["browser/page_reused"] == 2
    assert stats["playwright/page_count"] == 4
    assert Shop.hits["img"] == Shop.hits["fonts"] == Shop.hits["media"] == 0


@pytest.mark.browser
def test_without_blocking_the_browser_fetches_media(shop, tmp_path):
    """The control for the zero counts above: the same page, blocking switched off on the command line."""
    result, items, _ = crawl(shop, tmp_path, 1, "-s", "BROWSER_BLOCK_RESOURCES=False")

    assert result.returncode == 0, result.stderr[-3000:]
    assert [(i["title"], i["price"]) for i in items] == [PRODUCTS[1]]
    assert Shop.hits["img"] >= 1
    assert Shop.hits["fonts"] == 1


@pytest.mark.browser
def test_missing_browser_fails_the_crawl_loudly(shop, tmp_path):
    result, items, _ = crawl(shop, tmp_path, 1, env={"CHROMIUM_PATH": str(tmp_path / "no-chromium")})

    assert result.returncode != 0
    assert "BrowserMissing" in result.stderr
    assert "no-chromium" in result.stderr
    assert items == []
    assert Shop.hits["product"] == 0


@pytest.mark.parametrize("spider", [m.slug for m in marketplaces.marketplaces() if m.transport == "browser"])
def test_a_marketplace_crawl_without_its_browser_fails_at_once(spider, tmp_path):
    """`scrapy crawl ozon -s CHROMIUM_PATH=…` (a command-line setting, read after the spider's custom_settings
    were built) stops before anything is fetched or written, with the path in the error and exit code 1."""
    missing = str(tmp_path / "no-chromium")
    result = subprocess.run([SCRAPY, "crawl", spider, "-s", f"CHROMIUM_PATH={missing}",
                             "-s", f"DUCKDB_PATH={tmp_path / 'db.duckdb'}"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)

    assert result.returncode == 1
    assert f"BrowserMissing: Chromium executable '{missing}' does not exist" in result.stderr
    assert not (tmp_path / "db.duckdb").exists()


def test_crawlall_reports_a_marketplace_whose_browser_is_missing(tmp_path):
    """The cron command names the run that could not start and exits 1, without a traceback of its own."""
    missing = str(tmp_path / "no-chromium")
    result = subprocess.run([SCRAPY, "crawlall", "--only", "ozon", "-s", f"CHROMIUM_PATH={missing}",
                             "-s", f"DUCKDB_PATH={tmp_path / 'db.duckdb'}"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "crawlall: failed run(s): ozon" in result.stdout
    assert "BrowserMissing" in result.stderr and "Crawler.stats is not set" not in result.stderr


def test_a_replay_needs_no_browser():
    settings = Settings({"REPLAY_DIR": "recordings/x", "CHROMIUM_PATH": "/nonexistent"})
    BrowserAddon().update_settings(settings)  # no BrowserMissing: a replay never launches Chromium
    assert BrowserPagePool not in settings.getdict("DOWNLOADER_MIDDLEWARES")


@pytest.mark.parametrize(("reuse", "pooled"), [("true", True), ("false", False)])
def test_page_reuse_is_a_setting(reuse, pooled):
    settings = Settings({"CHROMIUM_PATH": sys.executable, "BROWSER_PAGE_REUSE": reuse})
    BrowserAddon().update_settings(settings)
    assert (BrowserPagePool in settings.getdict("DOWNLOADER_MIDDLEWARES")) is pooled


def test_a_configured_chromium_that_does_not_exist_is_reported(tmp_path):
    with pytest.raises(BrowserMissing, match="does not exist"):
        ensure_browser({"CHROMIUM_PATH": str(tmp_path / "chromium")})


def test_browser_settings_switch_blocking_and_read_environment_strings(tmp_path):
    on = browser_settings({"CHROMIUM_PATH": "/opt/chromium"})
    off = browser_settings({"BROWSER_BLOCK_RESOURCES": "0", "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": "2"})

    assert on["PLAYWRIGHT_LAUNCH_OPTIONS"]["executable_path"] == "/opt/chromium"
    assert "--blink-settings=imagesEnabled=false" in on["PLAYWRIGHT_LAUNCH_OPTIONS"]["args"]
    assert "--blink-settings=imagesEnabled=false" not in off["PLAYWRIGHT_LAUNCH_OPTIONS"]["args"]
    assert "--no-sandbox" in off["PLAYWRIGHT_LAUNCH_OPTIONS"]["args"]
    assert (on["PLAYWRIGHT_MAX_PAGES_PER_CONTEXT"], off["PLAYWRIGHT_MAX_PAGES_PER_CONTEXT"]) == (4, 2)
    assert on["DOWNLOAD_HANDLERS"]["https"] == "marketplace_spiders.browser.PooledPlaywrightHandler"
    assert "playwright_page_init_callback" in browser_request_meta("h1", config={})
    assert "playwright_page_init_callback" not in browser_request_meta("h1", config={"BROWSER_BLOCK_RESOURCES": "off"})
    assert "playwright_include_page" not in browser_request_meta("h1", config={})


@pytest.mark.browser
def test_pages_are_reused_with_one_request_per_domain_at_a_time(shop, tmp_path):
    """Live crawls allow 4 requests in the downloader but one per domain: the 3 waiting for the domain slot
    must not count as opening pages (they did, and every page was closed instead of kept)."""
    result, items, stats = crawl(shop, tmp_path, 3, "-s", "CONCURRENT_REQUESTS=4", "-s",
                                 "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT=4", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1")

    assert result.returncode == 0, result.stderr[-3000:]
    assert {i["url"].removeprefix(shop) for i in items if "price" in i} == {
        "/product/1", "/product/2", "/product/3", "/product/3?after"}
    # as with one request at a time: /product/1's page served /product/2, /product/3 and the held request
    # (whose callback closed it), /missing and /product/3?after opened theirs; before the fix: 6 pages, 0 reused
    assert stats["playwright/page_count"] == 3
    assert stats["browser/page_reused"] == 3
    assert "browser/page_closed_by_pool" not in stats
