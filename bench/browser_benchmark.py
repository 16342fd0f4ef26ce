"""Browser crawl throughput and memory: 200 JavaScript-built product pages from a local server, crawled through
scrapy-playwright with the real Chromium, 4 pages at a time, with and without in-browser resource blocking.

    .venv/bin/python bench/browser_benchmark.py [--pages 200] [--concurrency 4] [--blocking both|on|off]
                                                [--set NAME=VALUE ...]

``--set`` passes a Scrapy setting to both crawls, e.g. ``--set BROWSER_PAGE_REUSE=False`` for a new page per
request (what scrapy-playwright does without marketplace_spiders.browser.BrowserPagePool) or
``--set BROWSER_PAGE_MAX_USES=50``. Politeness settings of the project (delay, AutoThrottle, one request per
host) are lifted on the command line, as a benchmark of the browser path.

Prints pages/s and the memory of the crawl (PSS of the Scrapy process plus every Chromium process under it,
from /proc/<pid>/smaps_rollup; RSS summed too), sampled every 0.5 s: peak, and at page 50 vs page 200.
Targets (issue #6): >= 2.5 pages/s with 4 concurrent pages, peak <= 1.6 GB, memory at page 200 within 20 %
of page 50.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>product {n}</title>
<link rel="preload" href="/font-{n}.woff2" as="font" crossorigin>
<style>@font-face {{ font-family: f{n}; src: url('/font-{n}.woff2'); }} body {{ font-family: f{n}; }}</style>
</head><body>{images}<video src="/clip-{n}.mp4" autoplay muted></video><div id="app"></div>
<script>
setTimeout(function () {{
  var h1 = document.createElement("h1"); h1.className = "title"; h1.textContent = "Кымдан-2 №{n}";
  var p = document.createElement("span"); p.className = "price"; p.textContent = "{price} ₽";
  document.getElementById("app").replaceChildren(h1, p);
}}, 100);
</script></body></html>"""
IMAGE = b"\x89PNG\r\n\x1a\n" + b"\0" * 200_000  # a large body, so fetching it costs something
SPIDER = """
import scrapy
from marketplace_spiders.browser import browser_request_meta, browser_settings

class Bench(scrapy.Spider):
    name = "bench"

    @classmethod
    def update_settings(cls, settings):
        super().update_settings(settings)
        settings.setdict({**browser_settings(settings), "ITEM_PIPELINES": {}}, priority="spider")

    async def start(self):
        for n in range(1, int(self.pages) + 1):
            # the wait proves the content exists: h1.title is only created by the page's script
            meta = browser_request_meta("h1.title", config=self.settings)
            yield scrapy.Request(f"{self.base}/product/{n}", meta=meta)

    def parse(self, response):
        title = response.css("h1.title::text").get()
        print("PAGE_DONE" if title else "PAGE_EMPTY", flush=True)  # only pages with their content count
        yield {"title": title}
"""


class Site(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    media_hits = 0

    def do_GET(self) -> None:  # noqa: N802
        if self.path.startswith("/product/"):
            n = int(self.path.rsplit("/", 1)[1])
            images = "".join(f'<img src="/img-{n}-{k}.png">' for k in range(8))
            body, ctype = PAGE.format(n=n, price=7000 - n, images=images).encode(), "text/html; charset=utf-8"
        else:
            Site.media_hits += 1
            body, ctype = IMAGE, "application/octet-stream"
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        """A page navigating away cancels its media downloads (blocking off): a broken pipe is no error."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def tree(pid: int) -> list[int]:
    pids, children = [pid], []
    try:
        for task in Path(f"/proc/{pid}/task").glob("*/children"):
            children += task.read_text().split()
    except (FileNotFoundError, ProcessLookupError):  # a process or thread ended while it was read
        pass
    for c in children:
        pids += tree(int(c))
    return pids


def memory(pid: int) -> tuple[int, int]:
    """(PSS, RSS) in bytes of a process and all its descendants."""
    pss = rss = 0
    for p in tree(pid):
        try:
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    pss += int(line.split()[1]) * 1024
                elif line.startswith("Rss:"):
                    rss += int(line.split()[1]) * 1024
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return pss, rss


def crawl(base: str, pages: int, concurrency: int, block: bool, work: Path, extra: list[str]) -> dict:
    spider = work / "bench_spider.py"
    spider.write_text(SPIDER)
    settings = [f"BROWSER_BLOCK_RESOURCES={block}", f"PLAYWRIGHT_MAX_PAGES_PER_CONTEXT={concurrency}",
                "LOG_LEVEL=WARNING", f"CONCURRENT_REQUESTS={concurrency}",
                f"CONCURRENT_REQUESTS_PER_DOMAIN={concurrency}", "DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=False",
                *extra]
    command = [str(Path(sys.executable).with_name("scrapy")), "runspider", str(spider), "-a", f"base={base}",
               "-a", f"pages={pages}", *(a for kv in settings for a in ("-s", kv))]
    Site.media_hits = 0
    started = time.perf_counter()
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    done, first_page_at, samples, at_page = 0, None, [], {}
    sampler_stop = threading.Event()

    def sample() -> None:
        while not sampler_stop.is_set():
            samples.append(memory(proc.pid))
            time.sleep(0.5)

    threading.Thread(target=sample, daemon=True).start()
    for line in proc.stdout:
        if line.startswith("PAGE_DONE"):
            done += 1
            first_page_at = first_page_at or time.perf_counter()
            if done in (50, pages):
                at_page[done] = memory(proc.pid)
    proc.wait()
    sampler_stop.set()
    elapsed = time.perf_counter() - started
    steady = time.perf_counter() - first_page_at if first_page_at else float("nan")
    return {"block": block, "pages": done, "seconds": elapsed, "pages_per_s": done / elapsed,
            "pages_per_s_after_first": (done - 1) / steady if done > 1 else float("nan"),
            "peak_pss": max(s[0] for s in samples), "peak_rss": max(s[1] for s in samples),
            "pss_at_50": at_page.get(50, (0, 0))[0], "pss_at_end": at_page.get(pages, (0, 0))[0],
            "media_requests": Site.media_hits}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--blocking", choices=("both", "on", "off"), default="both")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="a Scrapy setting for the crawl, e.g. BROWSER_PAGE_REUSE=False")
    args = parser.parse_args()
    server = QuietServer(("127.0.0.1", 0), Site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    with tempfile.TemporaryDirectory() as work:
        for block in {"both": (False, True), "on": (True,), "off": (False,)}[args.blocking]:
            r = crawl(base, args.pages, args.concurrency, block, Path(work), args.set)
            mb = 2**20
            print(json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in r.items()}))
            print(f"blocking {'on ' if block else 'off'}: {r['pages']} pages in {r['seconds']:.1f} s = "
                  f"{r['pages_per_s']:.2f} pages/s ({r['pages_per_s_after_first']:.2f} after the browser started); "
                  f"peak PSS {r['peak_pss'] / mb:.0f} MB (RSS sum {r['peak_rss'] / mb:.0f} MB); PSS at page 50 "
                  f"{r['pss_at_50'] / mb:.0f} MB, at page {args.pages} {r['pss_at_end'] / mb:.0f} MB; "
                  f"media requests reaching the server: {r['media_requests']}")
    server.shutdown()


if __name__ == "__main__":
    main()
