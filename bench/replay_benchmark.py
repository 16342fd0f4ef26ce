"""Replay throughput of the Wildberries spider + staging pipeline into DuckDB.

Generates a recording in WB's real format (the structure of the real search_v9 and card v4 samples:
N search pages x 100 products, then the matching detail batches of 100 nm ids), replays it through
`scrapy crawl wildberries` into a fresh DuckDB file, and again with the item pipeline removed (items
discarded), and prints observations/s, items/s, the ratio and the peak RSS of each crawl process.

    .venv/bin/python bench/replay_benchmark.py [--pages 2000] [--keep DIR]
Targets (issue #2): with DuckDB >= 60% of the items-discarded rate; peak RSS <= 300 MB.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import duckdb

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "marketplace_spiders" / "marketplaces" / "wildberries" / "real_samples" / "ru-marketplace-mcp_fixtures"
TERM = "бенчмарк"
QUERY = {"appType": 1, "curr": "rub", "dest": "-1257786", "locale": "ru"}


def generate(folder: Path, pages: int) -> int:
    search_t = json.loads((SAMPLES / "search_v9_live.json").read_text("utf-8"))
    detail_t = json.loads((SAMPLES / "card_v4_live.json").read_text("utf-8"))
    (folder / "bodies").mkdir(parents=True)
    lines = []

    def add(name: str, url: str, body: dict) -> None:
        (folder / "bodies" / name).write_text(json.dumps(body, ensure_ascii=False), "utf-8")
        lines.append(json.dumps({"method": "GET", "url": url, "status": 200, "kind": "http",
                                 "headers": {"Content-Type": ["application/json; charset=utf-8"]},
                                 "recorded_at": "2026-11-01T06:00:00+00:00", "body_file": f"bodies/{name}"}))

    base = 400_000_000
    total = pages * 100
    for page in range(1, pages + 1):
        body = copy.deepcopy(search_t)
        products = []
        for k in range(100):
            nm = base + (page - 1) * 100 + k
            p = copy.deepcopy(search_t["products"][k % 3])
            p.update({"id": nm, "name": f"{p['name']} #{nm}", "totalQuantity": nm % 50})
            p["sizes"][0]["price"]["product"] = 100_000 + nm % 9_000 * 100
            products.append(p)
        body["products"], body["total"] = products, total
        url = "https://search.wb.ru/exactmatch/ru/common/v9/search?" + urlencode(
            {**QUERY, "query": TERM, "resultset": "catalog", "page": page, "spp": 30})
        add(f"s{page}.json", url, body)
    for start in range(0, total, 100):
        ids = list(range(base + start, base + start + 100))
        body = {"products": []}
        for nm in ids:
            p = copy.deepcopy(detail_t["products"][0])
            p.update({"id": nm, "name": f"product {nm}", "totalQuantity": nm % 50})
            body["products"].append(p)
        url = ("https://card.wb.ru/cards/v4/detail?" + urlencode({**QUERY, "spp": 30}) + "&nm="
               + ";".join(map(str, ids)))
        add(f"d{start // 100}.json", url, body)
    add("upstreams.json", "https://cdn.wbbasket.ru/api/v3/upstreams",
        json.loads((SAMPLES.parent / "BlankTrail_testdata" / "upstreams.json").read_text("utf-8")))
    (folder / "responses.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    (folder / "meta.json").write_text(json.dumps({"marketplace": "wildberries", "recorded_at":
                                                  "2026-11-01T06:00:00+00:00", "terms": [TERM]}), "utf-8")
    return total


def run_measured(command: list[str]) -> tuple[float, int, os.struct_rusage, str]:
    """Run ``command`` from the project root: (wall seconds, exit code, its rusage (exact peak RSS, CPU), stderr)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as log:
        proc = subprocess.Popen(command, cwd=ROOT, stderr=log, stdout=subprocess.DEVNULL, text=True)
        _pid, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - started
        log.seek(0)
        return elapsed, os.waitstatus_to_exitcode(status), usage, log.read()


def crawl(recording: Path, db: Path, pages: int, discard: bool) -> tuple[float, int, int]:
    """Run one replay; returns (seconds, items scraped, peak RSS bytes of the crawl process)."""
    command = [str(Path(sys.executable).with_name("scrapy")), "crawl", "wildberries",
               "-s", f"REPLAY_DIR={recording}", "-s", f"DUCKDB_PATH={db}", "-s", f"WB_SEARCH_MAX_PAGES={pages}",
               "-s", "WB_FETCH_CONTENT=False", "-s", "WB_FETCH_SELLERS=False", "-s", "LOG_LEVEL=INFO",
               ]
    if discard:
        command += ["-s", "ITEM_PIPELINES={}"]
    elapsed, code, usage, stderr = run_measured(command)
    if code != 0:
        sys.stderr.write(stderr[-3000:])
        raise SystemExit("crawl failed")
    items = int(re.search(r"'item_scraped_count': (\d+)", stderr).group(1))
    return elapsed, items, usage.ru_maxrss * 1024  # exact peak RSS of the crawl process (ru_maxrss is KiB)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--keep", type=Path, help="keep the generated recording and database here")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="wb-bench-"))
    recording, db = work / "recording", work / "bench.duckdb"
    shutil.rmtree(recording, ignore_errors=True)
    t0 = time.perf_counter()
    products = generate(recording, args.pages)
    size = sum(f.stat().st_size for f in (recording / "bodies").iterdir())
    print(f"recording: {args.pages} search pages + {products // 100} detail batches, {products} products, "
          f"{size / 1e6:.0f} MB, generated in {time.perf_counter() - t0:.1f} s")
    discarded_s, discarded_items, discarded_rss = crawl(recording, db, args.pages, discard=True)
    for leftover in (db, Path(str(db) + ".staging")):
        shutil.rmtree(leftover, ignore_errors=True) if leftover.is_dir() else leftover.unlink(missing_ok=True)
    stored_s, stored_items, stored_rss = crawl(recording, db, args.pages, discard=False)
    with duckdb.connect(str(db), read_only=True) as con:
        observations = con.execute("SELECT count(*) FROM listing_observations").fetchone()[0]
        hits = con.execute("SELECT count(*) FROM search_hits").fetchone()[0]
    print(f"items discarded : {discarded_items} items in {discarded_s:.1f} s = {discarded_items / discarded_s:,.0f} "
          f"items/s, peak RSS {discarded_rss / 2**20:.0f} MB")
    print(f"into DuckDB     : {stored_items} items in {stored_s:.1f} s = {stored_items / stored_s:,.0f} items/s "
          f"({observations / stored_s:,.0f} observations/s; {observations} observations, {hits} search hits "
          f"in the database), peak RSS {stored_rss / 2**20:.0f} MB")
    print(f"ratio           : {discarded_s / stored_s:.0%} of the items-discarded rate (target >= 60%)")
    if not args.keep:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
