"""What the evidence archive (issue #13) costs: replay time with archiving on vs off, bytes per 1,000 Wildberries
listings, and bytes per 100 browser pages (network body + rendered DOM, and full-page screenshots).

Every crawl archives every response as WARC (marketplace_spiders.evidence.archive) and packages the run as WACZ at
its end (evidence.package). The issue asks for the price of that in time and disk, measured, so an analyst can size
a disk and the lead can see whether archiving keeps the replay within 15 % of its speed without it.

    .venv/bin/python bench/evidence_benchmark.py [--part all|replay|listings|browser] [--pages 300] [--rounds 3]
                                                 [--browser-pages 100] [--concurrency 2] [--profile]
                                                 [--screenshots both|on|off] [--keep DIR]

replay   : bench/replay_benchmark.py's generated WB recording (N search pages x 100 products + detail batches, the
           real format of the real samples) replayed through `scrapy crawl wildberries`, in rounds of three runs
           each (archive off, archive on without packaging, archive on + WACZ packaging), each into a fresh DuckDB
           file; wall time and peak RSS of each crawl process, the median of each kind and the ratios.
listings : from those runs (or one run of each kind with --part listings): bytes of the loose WARC files
           (EVIDENCE_PACKAGE=False) and of the WACZ package, per 1,000 rows of listing_observations.
browser  : a real Chromium (the project's browser settings) renders 100 copies of the real Yandex Market product
           page sample served by a local HTTP server on 127.0.0.1 (numbered; references to other hosts pointed at
           the local server, which answers 404), through a MarketplaceSpider subclass whose pages are product
           pages: main WARC bytes (network body + DOM) and screenshot WARC bytes per 100 pages, and pages/s, with
           screenshots on and off.
--profile: where the archive's time goes, in this process: the WB recording's responses written through
           EvidenceArchive.save_response under cProfile, and variants of the writer (gzip level, no flush)
           subclassed here, so the effect of a change in archive.py is measured before it is made.
Not a test: it prints the figures and the command that produced them.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from replay_benchmark import SAMPLES, generate, run_measured  # noqa: E402 - the one WB recording generator

SCRAPY = str(Path(sys.executable).with_name("scrapy"))
YM_PAGE = (ROOT / "marketplace_spiders" / "marketplaces" / "yandex_market" / "real_samples"
           / "yandex_market_product_page_2025-05__roman-shvetsov.html")
MB = 1e6


def _du(folder: Path, pattern: str = "*") -> int:
    return sum(p.stat().st_size for p in folder.rglob(pattern) if p.is_file()) if folder.exists() else 0


# -- replay ------------------------------------------------------------------------------------------------------
KINDS = {"off": ["EVIDENCE_ARCHIVE=False"], "on": ["EVIDENCE_PACKAGE=False"], "pkg": []}
LABEL = {"off": "archive off          ", "on": "archive on, no WACZ  ", "pkg": "archive on + WACZ    "}


def replay(recording: Path, db: Path, pages: int, kind: str) -> dict:
    """One replay into a fresh database: wall seconds, items, peak RSS, listing observations, evidence bytes."""
    command = [SCRAPY, "crawl", "wildberries", "-s", f"REPLAY_DIR={recording}", "-s", f"DUCKDB_PATH={db}",
               "-s", f"WB_SEARCH_MAX_PAGES={pages}", "-s", "WB_FETCH_CONTENT=False", "-s", "WB_FETCH_SELLERS=False",
               "-s", "LOG_LEVEL=INFO", *(a for kv in KINDS[kind] for a in ("-s", kv))]
    elapsed, code, usage, stderr = run_measured(command)
    if code != 0 or "Traceback" in stderr:
        sys.stderr.write(stderr[-3000:])
        raise SystemExit(f"replay ({kind}) failed: {' '.join(command)}")
    with duckdb.connect(str(db), read_only=True) as con:
        observations = con.execute("SELECT count(*) FROM listing_observations").fetchone()[0]
    evidence = Path(f"{db}.evidence")
    return {"kind": kind, "seconds": elapsed, "cpu": usage.ru_utime + usage.ru_stime, "rss": usage.ru_maxrss * 1024,
            "observations": observations,
            "items": int(re.search(r"'item_scraped_count': (\d+)", stderr).group(1)),
            "records": int(m.group(1)) if (m := re.search(r"'evidence/records': (\d+)", stderr)) else 0,
            "evidence_dir": evidence, "warc": _du(evidence, "*.warc.gz"), "wacz": _du(evidence, "*.wacz"),
            "evidence": _du(evidence),
            "command": " ".join(command)}


def part_replay(work: Path, pages: int, rounds: int, kinds: tuple[str, ...]) -> list[dict]:
    recording = work / "recording"
    if not (recording / "responses.jsonl").exists():
        t0 = time.perf_counter()
        products = generate(recording, pages)
        size = _du(recording / "bodies")
        print(f"recording: {pages} search pages + {products // 100} detail batches, {products} products, "
              f"{size / MB:.0f} MB of bodies, generated in {time.perf_counter() - t0:.1f} s")
    results = []
    for r in range(rounds):
        order = kinds if r % 2 == 0 else kinds[::-1]  # alternate, so a drift of the machine hits every kind alike
        for kind in order:
            db = work / f"run-{r}-{kind}.duckdb"
            result = replay(recording, db, pages, kind)
            results.append(result)
            print(f"  round {r + 1} {LABEL[kind]}: {result['seconds']:6.1f} s wall, {result['cpu']:5.1f} s CPU, "
                  f"peak RSS {result['rss'] / 2**20:4.0f} MB, {result['observations']} observations, "
                  f"{result['records']} records archived, "
                  f"WARC {result['warc'] / MB:.1f} MB, WACZ {result['wacz'] / MB:.1f} MB", flush=True)
            for leftover in work.glob(f"run-{r}-{kind}.duckdb*"):
                if leftover.suffix != ".evidence" or r < rounds - 1:
                    shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink()
    return results


def report_replay(results: list[dict]) -> None:
    kinds = [kind for kind in KINDS if any(r["kind"] == kind for r in results)]
    median = {kind: statistics.median(r["seconds"] for r in results if r["kind"] == kind) for kind in kinds}
    cpu = {kind: statistics.median(r["cpu"] for r in results if r["kind"] == kind) for kind in kinds}
    print("replay, median of the rounds (wall time; CPU time = user + system of the crawl process, which other "
          "work on the machine disturbs less):")
    for kind in kinds:
        runs = [r for r in results if r["kind"] == kind]
        rss = max(r["rss"] for r in runs)
        each = ", ".join(f"{r['seconds']:.1f}" for r in runs)
        print(f"  {LABEL[kind]}: {median[kind]:6.1f} s wall (runs: {each}), {cpu[kind]:5.1f} s CPU; peak RSS up to "
              f"{rss / 2**20:.0f} MB; {runs[0]['items'] / median[kind]:,.0f} items/s")
    if "off" in median:
        for kind in ("on", "pkg"):
            if kind in median:
                print(f"  {LABEL[kind].strip()} / off: wall {median[kind] / median['off']:.3f} "
                      f"({median[kind] / median['off'] - 1:+.1%}), CPU {cpu[kind] / cpu['off'] - 1:+.1%} "
                      f"(target: <= +15 %)")
    if "on" in median and "pkg" in median:
        print(f"  the WACZ step at run end: {median['pkg'] - median['on']:+.1f} s wall, "
              f"{cpu['pkg'] - cpu['on']:+.1f} s CPU (median pkg - median on)")
    print(f"  command (archive on + WACZ; off adds -s EVIDENCE_ARCHIVE=False, no WACZ -s EVIDENCE_PACKAGE=False):\n"
          f"    {next(r['command'] for r in results if r['kind'] == list(median)[-1])}")


def report_listings(results: list[dict]) -> None:
    loose = next((r for r in reversed(results) if r["kind"] == "on"), None)
    packed = next((r for r in reversed(results) if r["kind"] == "pkg"), None)
    print("archive bytes per 1,000 WB listings (listing_observations rows):")
    for label, r, key in (("loose WARC (EVIDENCE_PACKAGE=False)", loose, "warc"), ("WACZ package", packed, "wacz"),
                          ("whole run folder after packaging", packed, "evidence")):
        if r is None:
            continue
        print(f"  {label}: {r[key] / MB:.2f} MB for {r['observations']} listings, {r['records']} responses = "
              f"{r[key] / r['observations'] * 1000 / MB:.3f} MB per 1,000 listings")


def time_package(results: list[dict], work: Path) -> None:
    """The WACZ step alone, in this process: package_run on a copy of the last loose run folder."""
    from scrapy.settings import Settings

    from marketplace_spiders.core_config import EvidenceConfig
    from marketplace_spiders.evidence import package

    loose = next((r for r in reversed(results) if r["kind"] == "on"), None)
    folders = list(Path(loose["evidence_dir"]).glob("*/*")) if loose else []
    if not folders:
        return
    copy = work / "package-timing" / folders[0].name
    shutil.rmtree(copy.parent, ignore_errors=True)
    shutil.copytree(folders[0], copy)
    import wacz.main  # noqa: F401 - imported before the clock starts, as the crawl process has it by then

    t0, c0 = time.perf_counter(), time.process_time()
    result = package.package_run(copy, EvidenceConfig.from_settings(Settings()))
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    records = sum(p.records for p in result.packages)
    print(f"  package_run alone on that run's WARC ({loose['warc'] / MB:.1f} MB, {records} records): {wall:.2f} s "
          f"wall, {cpu:.2f} s CPU, unsigned (no EVIDENCE_TSA_URLS; a timestamp authority adds its round trips)")


def real_sample_bytes(work: Path) -> None:
    """The generated recording repeats three products' data, which gzip removes; the real samples (a few
    products each) give the bytes of a real product in a real response, once archived: the archive of the sample
    minus that of the same response with an empty body (warcinfo, record headers, the request record)."""
    from marketplace_spiders.evidence.archive import EvidenceArchive

    def archived(name: str, body: bytes) -> int:
        archive = EvidenceArchive(work / "real-samples" / name, "wildberries", "sample", replay=True, info={})
        archive.save_response(url="https://search.wb.ru/x?query=1", method="GET", request_headers=[],
                              request_body=b"", status=200,
                              headers=[("Content-Type", "application/json; charset=utf-8")], body=body,
                              fetched_at=datetime(2026, 11, 1, tzinfo=UTC), kind="http")
        archive.close()
        return _du(archive.folder)

    wb = SAMPLES.parent
    samples = {"search v9 (ru-marketplace-mcp)": wb / "ru-marketplace-mcp_fixtures" / "search_v9_live.json",
               "card v4 detail (ru-marketplace-mcp)": wb / "ru-marketplace-mcp_fixtures" / "card_v4_live.json",
               "search (krein15)": wb / "krein15_fixtures" / "wb_search.json",
               "card detail (krein15)": wb / "krein15_fixtures" / "wb_detail.json"}
    empty = archived("empty", b"")
    print(f"  for comparison, the real WB samples archived the same way (a response costs {empty:,} B of warcinfo, "
          f"headers and request record even when empty; below: the bytes its body adds):")
    for label, path in samples.items():
        body = path.read_bytes()
        data = json.loads(body)
        products = data.get("products") or (data.get("data") or {}).get("products") or []
        size = archived(path.stem, body) - empty
        print(f"    {label}: {len(body):,} B body -> {size:,} B archived, {len(products)} product(s) = "
              f"~{size / max(len(products), 1):,.0f} B per product")


# -- browser -----------------------------------------------------------------------------------------------------
SPIDER = """
import scrapy
from marketplace_spiders.browser import browser_request_meta, browser_settings
from marketplace_spiders.spiders.base import MarketplaceSpider

class EvidenceBench(MarketplaceSpider):
    name = "yandex_market"  # a registered marketplace: the run records the digest of its parser sources
    expected_body = "html"

    @classmethod
    def update_settings(cls, settings):
        super().update_settings(settings)
        settings.setdict(browser_settings(settings), priority="spider")

    async def start(self):
        self.load_history()
        for n in range(1, int(self.pages) + 1):
            meta = {"page_type": "product_page", "product_ids": [str(n)],
                    **browser_request_meta("h1[data-auto=productCardTitle]", config=self.settings)}
            yield scrapy.Request(f"{self.base}/product/{n}", meta=meta, errback=self.on_error)

    def parse(self, response):
        print("PAGE_DONE", flush=True)
        yield self.fetch_record(response, response.meta["page_type"], product_ids=response.meta["product_ids"])

    def on_error(self, failure):
        print("PAGE_FAILED", failure.value, flush=True)
        yield self.failed_fetch(failure)
"""


def local_page() -> str:
    """The real Yandex Market product page, every reference to another host pointed at the local server (which
    answers 404), so that Chromium reaches nothing outside 127.0.0.1 and the run depends on no network."""
    html = YM_PAGE.read_text("utf-8")
    return re.sub(r"""(?<=["'(])(?:https?:)?//(?=[a-z0-9.-]+\.[a-z]{2,})""", "/ext/", html)


class Shop(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    page = ""

    def do_GET(self) -> None:  # noqa: N802
        if self.path.startswith("/product/"):
            n = self.path.rsplit("/", 1)[1]
            body = Shop.page.replace("<title>", f"<title>№{n} ", 1).replace(
                'data-auto="productCardTitle"', f'data-auto="productCardTitle" data-bench="{n}"', 1).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
        else:
            body = b"not here"
            self.send_response(404)
            self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def browser_run(base: str, work: Path, pages: int, concurrency: int, screenshots: bool) -> dict:
    spider = work / "evidence_bench_spider.py"
    spider.write_text(SPIDER)
    db = work / f"browser-{'shots' if screenshots else 'noshots'}.duckdb"
    settings = [f"DUCKDB_PATH={db}", "EVIDENCE_PACKAGE=False", "LOG_LEVEL=INFO",
                f"PLAYWRIGHT_MAX_PAGES_PER_CONTEXT={concurrency}", f"CONCURRENT_REQUESTS={concurrency}",
                f"CONCURRENT_REQUESTS_PER_DOMAIN={concurrency}", "DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=False"]
    if not screenshots:
        settings.append("EVIDENCE_SCREENSHOTS=")
    command = [SCRAPY, "runspider", str(spider), "-a", f"base={base}", "-a", f"pages={pages}",
               *(a for kv in settings for a in ("-s", kv))]
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as log:
        proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=log, text=True)
        done = failed = 0
        first = None
        for line in proc.stdout:
            if line.startswith("PAGE_DONE"):
                done += 1
                first = first or time.perf_counter()
            elif line.startswith("PAGE_FAILED"):
                failed += 1
                print("   ", line.strip())
        proc.wait()
        elapsed = time.perf_counter() - started
        log.seek(0)
        stderr = log.read()
    if done == 0 or (failed == 0 and "Traceback" in stderr):  # failed pages log their traceback: counted, not fatal
        sys.stderr.write(stderr[-3000:])
        raise SystemExit(f"browser crawl failed: {' '.join(command)}")
    evidence = Path(f"{db}.evidence")
    shots = _du(evidence, "*-screenshots-*.warc.gz")
    with duckdb.connect(str(db), read_only=True) as con:
        fetched = con.execute("SELECT count(*) FROM fetches WHERE warc_record_id IS NOT NULL").fetchone()[0]
    if proc.returncode != 0:  # the run failed by the project's rules (RUN_MAX_ERRORS): say so, keep the figures
        print(f"    crawl exit code {proc.returncode}: {failed} page(s) failed; the figures are of the {done} done")
    return {"screenshots": screenshots, "pages": done, "failed": failed, "fetches_with_evidence": fetched,
            "seconds": elapsed, "after_first": (time.perf_counter() if first is None else first) - started,
            "main": _du(evidence, "*.warc.gz") - shots, "shots": shots, "command": " ".join(command)}


def part_browser(work: Path, pages: int, concurrency: int, modes: tuple[bool, ...] = (True, False)) -> None:
    if not Path("/usr/bin/chromium").exists():
        raise SystemExit("no /usr/bin/chromium: `make browser` installs it")
    Shop.page = local_page()
    server = QuietServer(("127.0.0.1", 0), Shop)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    size = len(Shop.page.encode())
    print(f"browser: {pages} product pages, each the real Yandex Market product page sample ({size / MB:.2f} MB of "
          f"HTML, {len(zlib.compress(Shop.page.encode(), 6)) / MB:.2f} MB deflated), {concurrency} at a time")
    results = []
    try:
        for screenshots in modes:
            r = browser_run(base, work, pages, concurrency, screenshots)
            results.append(r)
            steady = (r["pages"] - 1) / (r["seconds"] - r["after_first"]) if r["pages"] > 1 else float("nan")
            per100 = 100 / r["pages"]
            print(f"  screenshots {'on ' if screenshots else 'off'}: {r['pages']} pages ({r['failed']} failed, "
                  f"{r['fetches_with_evidence']} fetch rows pointing to a record) in {r['seconds']:.1f} s = "
                  f"{r['pages'] / r['seconds']:.2f} pages/s ({steady:.2f} after the first page); per 100 pages: "
                  f"main WARC {r['main'] * per100 / MB:.1f} MB (network body + DOM), screenshots "
                  f"{r['shots'] * per100 / MB:.1f} MB", flush=True)
            print(f"    command: {r['command']}")
    finally:
        server.shutdown()
    if len(results) < 2:
        return
    on, off = results
    print(f"  screenshots cost {1 - (on['pages'] / on['seconds']) / (off['pages'] / off['seconds']):.0%} of the "
          f"pages/s; {on['shots'] / on['pages'] / MB:.2f} MB of PNG (gzipped WARC) per page")


# -- profile -----------------------------------------------------------------------------------------------------
class _GzipMember:
    """One gzip member per record, at a chosen zlib level (warcio's GzippingWrapper always uses level 9)."""

    def __init__(self, out, level: int):
        self.out, self.compressor = out, zlib.compressobj(level, zlib.DEFLATED, zlib.MAX_WBITS + 16)

    def write(self, buff: bytes) -> None:
        self.out.write(self.compressor.compress(buff))

    def flush(self) -> None:
        self.out.write(self.compressor.flush())
        self.out.flush()


def leveled_writer(level: int):
    """A prototype of the change archive.py could make: Sha256WarcWriter whose gzip member uses ``level``."""
    from marketplace_spiders.evidence.archive import Sha256WarcWriter

    class LeveledWriter(Sha256WarcWriter):
        def __init__(self, filebuf, *args, **kwargs):
            super().__init__(filebuf, *args, **{**kwargs, "gzip": False})  # the member is made in write_record

        def write_record(self, record, params=None):
            self._write_warc_record(_GzipMember(self.out, level), record)

    return LeveledWriter


def part_profile(work: Path, pages: int) -> None:
    """The archive writer alone on the recording's responses (in this process): cProfile, then variants of the
    writer (gzip level) swapped in for the run of the variant only."""
    import hashlib

    from marketplace_spiders.evidence import archive as archive_module
    from marketplace_spiders.evidence.archive import EvidenceArchive

    recording = work / "recording"
    if not (recording / "responses.jsonl").exists():
        generate(recording, pages)
    rows = [json.loads(line) for line in (recording / "responses.jsonl").read_text("utf-8").splitlines()]
    bodies = [(row["url"], (recording / row["body_file"]).read_bytes()) for row in rows]
    total = sum(len(b) for _, b in bodies)
    when = datetime(2026, 11, 1, 6, tzinfo=UTC)

    def write_all(root: Path) -> tuple[float, float, int]:
        archive = EvidenceArchive(root, "wildberries", "bench", replay=True, info={"terms": ["x"]})
        t0, c0 = time.perf_counter(), time.process_time()
        for url, body in bodies:
            archive.save_response(url=url, method="GET", request_headers=[("Accept", "application/json")],
                                  request_body=b"", status=200,
                                  headers=[("Content-Type", "application/json; charset=utf-8")], body=body,
                                  fetched_at=when, kind="http")
        archive.close()
        return time.perf_counter() - t0, time.process_time() - c0, _du(archive.folder)

    print(f"profile: {len(bodies)} responses, {total / MB:.0f} MB of bodies, through EvidenceArchive.save_response "
          f"in this process")
    root = work / "profile"
    profiler = cProfile.Profile()
    profiler.enable()
    write_all(root / "cprofile")
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(6)
    original = archive_module.Sha256WarcWriter
    for label, writer in (("as in archive.py (warcio, zlib level 9)", original),
                          ("zlib level 6", leveled_writer(6)), ("zlib level 1", leveled_writer(1))):
        archive_module.Sha256WarcWriter = writer
        try:
            runs = [write_all(root / f"{label[:12].replace(' ', '_')}-{i}") for i in range(3)]
        finally:
            archive_module.Sha256WarcWriter = original
        wall, cpu, size = min(r[0] for r in runs), min(r[1] for r in runs), runs[0][2]
        print(f"  {label:40s}: {wall:5.2f} s wall, {cpu:5.2f} s CPU (best of 3) = {total / cpu / MB:5.0f} MB/s; "
              f"{cpu / len(bodies) * 1000:.2f} ms CPU per response; WARC {size / MB:.2f} MB", flush=True)
    c0 = time.process_time()
    for _, body in bodies:
        hashlib.sha256(body).digest()
    sha = time.process_time() - c0
    c0 = time.process_time()
    for _, body in bodies:
        zlib.compress(body, 9)
    z9 = time.process_time() - c0
    print(f"  for scale: sha256 of every body once {sha:.2f} s CPU; zlib level 9 of every body once {z9:.2f} s CPU")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("all", "replay", "listings", "browser"), default="all")
    parser.add_argument("--pages", type=int, default=200, help="WB search pages of 100 products in the replay")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of (off, on, on + WACZ) replays")
    parser.add_argument("--browser-pages", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=2, help="browser pages at a time")
    parser.add_argument("--screenshots", choices=("both", "on", "off"), default="both", help="browser part")
    parser.add_argument("--profile", action="store_true", help="profile the archive writer (in this process)")
    parser.add_argument("--keep", type=Path, help="keep the recording, databases and archives here")
    args = parser.parse_args()
    print(f"$ {Path(sys.executable).name} bench/evidence_benchmark.py {' '.join(sys.argv[1:])}  "
          f"({os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start)")
    work = args.keep or Path(tempfile.mkdtemp(prefix="evidence-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        if args.part in ("all", "replay"):
            results = part_replay(work, args.pages, args.rounds, ("off", "on", "pkg"))
            report_replay(results)
            time_package(results, work)
            report_listings(results)
            real_sample_bytes(work)
        elif args.part == "listings":
            results = part_replay(work, args.pages, 1, ("on", "pkg"))
            report_listings(results)
            time_package(results, work)
            real_sample_bytes(work)
        if args.profile:
            part_profile(work, args.pages)
        if args.part in ("all", "browser"):
            modes = {"both": (True, False), "on": (True,), "off": (False,)}[args.screenshots]
            part_browser(work, args.browser_pages, args.concurrency, modes)
        print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
