"""The browser path itself: a real Chromium through scrapy-playwright against a real local HTTP server whose
product content only exists after JavaScript runs."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from marketplace_spiders.browser import BrowserMissing, ensure_browser

ROOT = Path(__file__).resolve().parents[1]
SCRAPY = str(Path(sys.executable).with_name("scrapy"))

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>loading</title>
<style>@font-face {{ font-family: x; src: url('/font.woff2'); }} body {{ font-family: x; }}</style></head>
<body><img src="/photo-{n}.png"><div id="app">Загрузка…</div>
<script>
setTimeout(function () {{
  var data = {{"title": "Кымдан-2 ампулы №{n}", "price": "{price} ₽"}};
  var h1 = document.createElement("h1"); h1.className = "title"; h1.textContent = data.title;
  var p = document.createElement("span"); p.className = "price"; p.textContent = data.price;
  document.getElementById("app").replaceChildren(h1, p);
}}, 300);
</script></body></html>"""

SPIDER = """
import scrapy
from marketplace_spiders.browser import browser_request_meta, browser_settings

class JsShop(scrapy.Spider):
    name = "jsshop"
    custom_settings = {**browser_settings(), "ITEM_PIPELINES": {}, "LOG_LEVEL": "INFO"}

    async def start(self):
        for n in (1, 2, 3):
            yield scrapy.Request(f"{self.base}/product/{n}", meta=browser_request_meta("h1.title"))

    def parse(self, response):
        yield {"url": response.url, "title": response.css("h1.title::text").get(),
               "price": response.css("span.price::text").get()}
"""


class Shop(BaseHTTPRequestHandler):
    hits: Counter = Counter()

    def do_GET(self) -> None:  # noqa: N802
        Shop.hits[self.path.rsplit("-", 1)[0] if self.path.endswith(".png") else self.path] += 1
        if self.path.startswith("/product/"):
            n = int(self.path.rsplit("/", 1)[1])
            body, ctype = PAGE.format(n=n, price=7000 - n).encode(), "text/html; charset=utf-8"
        elif self.path.endswith(".png"):
            body, ctype = bytes.fromhex("89504e470d0a1a0a"), "image/png"
        elif self.path.endswith(".woff2"):
            body, ctype = b"wOF2", "font/woff2"
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


@pytest.fixture
def shop():
    try:
        ensure_browser()
    except BrowserMissing as exc:
        pytest.skip(str(exc))
    Shop.hits.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Shop)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.browser
def test_real_browser_extracts_javascript_built_content(shop, tmp_path):
    import urllib.request

    raw = urllib.request.urlopen(f"{shop}/product/1").read().decode()
    assert 'class="title"' not in raw.split("<script>")[0]  # plain HTTP does not see the product

    spider = tmp_path / "jsshop.py"
    spider.write_text(SPIDER)
    out = tmp_path / "items.jsonl"
    result = subprocess.run([SCRAPY, "runspider", str(spider), "-a", f"base={shop}", "-o", str(out)],
                            cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    items = sorted((json.loads(line) for line in out.read_text().splitlines()), key=lambda i: i["url"])
    assert [(i["title"], i["price"]) for i in items] == [
        ("Кымдан-2 ампулы №1", "6999 ₽"), ("Кымдан-2 ампулы №2", "6998 ₽"), ("Кымдан-2 ампулы №3", "6997 ₽")]
    assert Shop.hits["/photo"] == 0, "images must be blocked inside the browser"
    assert Shop.hits["/font.woff2"] == 0, "fonts must be blocked inside the browser"
    assert "'playwright/page_count/closed': 3" in result.stderr or "page_count/closed" in result.stderr
