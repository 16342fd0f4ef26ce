"""Trustworthy-runs figures: block pages classified, bad inputs survived, faults injected, observations lost.

    .venv/bin/python bench/trust_benchmark.py [--bad-inputs 3000] [--kills 5]

1. Every real block page in the repository (BLOCKED_* in marketplaces/*/real_samples and
   fixtures/real-samples) through `detect_block`, and every healthy real sample (must not be flagged), also
   with every block marker written into its seller text (every
   JSON string, every text node / free-text attribute / inline state blob of HTML; must not be flagged).
2. Bad inputs: random truncations, byte flips, wrongly typed JSON values, re-encodings and empty bodies of
   the real samples through every page object; a "crash" is any exception other than LayoutError.
3. Faults: `kill -9` of a replayed crawl at a random moment (then recovery by `Database.ingest_pending`),
   `kill -9` of an ingest in its transaction, and a database held by another process past the lock
   timeout; each time the rows the crawl had staged are compared with what reached the database.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from scrapy.http import HtmlResponse, TextResponse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from hostile_text import BLOCK_MARKERS, inject_html, inject_json_body  # noqa: E402

from marketplace_spiders import marketplaces  # noqa: E402
from marketplace_spiders.blocks import detect_block  # noqa: E402
from marketplace_spiders.pages.errors import LayoutError  # noqa: E402
from marketplace_spiders.storage.database import Database, staging_root_for  # noqa: E402

SAMPLES = ROOT / "fixtures" / "real-samples"  # samples of marketplaces not built yet
SAMPLE_ROOTS = {m.slug: m.real_samples_dir for m in marketplaces.marketplaces()}  # each built marketplace's own
RUN_1 = marketplaces.get("wildberries").timeline_dir / "run-1"
AT = datetime(2026, 11, 1, tzinfo=UTC)
BLOCK_STATUS = {"wildberries": 200, "ozon": 403, "dns_shop": 403}

# Every registered page object on its real input (the registry's fuzz cases read from real samples).
PARSERS = [(case.parse, marketplace.folder / case.sample, case.url)
           for marketplace in marketplaces.marketplaces() for case in marketplace.fuzz_cases()
           if case.sample.startswith("real_samples/")]
HTML_URLS = {case.url for marketplace in marketplaces.marketplaces() for case in marketplace.fuzz_cases() if case.html}


def real_samples() -> list[tuple[str, Path]]:
    """(marketplace slug, file) of every real sample in the repository, wherever it lives."""
    found = [(slug, p) for slug, root in SAMPLE_ROOTS.items() for p in sorted(root.rglob("*")) if p.is_file()]
    found += [(p.relative_to(SAMPLES).parts[0], p) for p in sorted(SAMPLES.rglob("*"))
              if p.is_file() and len(p.relative_to(SAMPLES).parts) > 1]
    return found


def block_figures() -> None:
    samples = real_samples()
    marketplace_of = {path: slug for slug, path in samples}
    blocked = [path for _, path in samples if path.name.startswith("BLOCKED_")]
    right = 0
    for path in blocked:
        marketplace = marketplace_of[path]
        block = detect_block(marketplace, BLOCK_STATUS.get(marketplace, 403), {}, path.read_bytes(), "https://x/",
                             "html")
        right += block is not None
    healthy = [p for _, p in samples if p.suffix in (".json", ".html")
               and not p.name.startswith("BLOCKED_") and not p.name.endswith(".provenance.json")]
    flagged = [p.name for p in healthy
               if detect_block(marketplace_of[p], 200, {}, p.read_bytes(), "https://x/",
                               "json" if p.suffix == ".json" else "html")]
    print(f"block pages tried: {len(blocked)}, correctly classified: {right}")
    print(f"healthy real samples tried: {len(healthy)}, wrongly flagged as blocked: {len(flagged)} {flagged or ''}")
    tried, flagged, seconds = 0, [], 0.0
    for path in healthy:
        raw = path.read_bytes()
        is_json = raw.lstrip()[:1] in (b"{", b"[")
        for marker in BLOCK_MARKERS:
            try:
                body = (inject_json_body(raw, lambda value, m=marker: f"{value} {m}") if is_json
                        else inject_html(raw.decode("utf-8"), " " + marker).encode())
            except (ValueError, UnicodeDecodeError):
                continue
            tried += 1
            start = time.perf_counter()
            if detect_block(marketplace_of[path], 200, {}, body, "https://x/",
                            "json" if is_json else "html"):
                flagged.append(f"{path.name}+{marker!r}")
            seconds += time.perf_counter() - start
    print(f"healthy samples with a block marker in their seller text: {tried}, wrongly flagged: {len(flagged)} "
          f"{flagged[:5] or ''}; detect_block {seconds / max(tried, 1) * 1000:.2f} ms each")


def mutate(body: bytes, rng: random.Random) -> tuple[bytes, str]:
    kind = rng.choice(["truncate", "garble", "retype", "encoding", "empty"])
    if kind == "truncate":
        return body[: rng.randrange(len(body) + 1)], "utf-8"
    if kind == "garble":
        data = bytearray(body)
        for _ in range(rng.randint(1, 16)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        return bytes(data), "utf-8"
    if kind == "retype" and body.lstrip()[:1] in (b"{", b"["):
        doc = json.loads(body)
        parent, key, node = None, None, doc
        for _ in range(rng.randint(1, 6)):
            children = list(node.items()) if isinstance(node, dict) else list(enumerate(node)) if isinstance(
                node, list) else []
            if not children:
                break
            parent, (key, node) = node, rng.choice(children)
            if not isinstance(node, dict | list) or rng.random() < 0.3:
                break
        if parent is not None:
            parent[key] = rng.choice([None, 0, -1, "x", [], {}, True, 1e308, "１２３"])
        return json.dumps(doc).encode(), "utf-8"
    if kind == "encoding":
        return body.decode("utf-8").encode("cp1251", "replace"), "cp1251"
    return b"", "utf-8"


def bad_input_figures(count: int, seed: int) -> None:
    rng = random.Random(seed)
    crashes: list[str] = []
    layout_errors = 0
    for _ in range(count):
        parse, sample, url = rng.choice(PARSERS)
        body, encoding = mutate(sample.read_bytes(), rng)
        cls = HtmlResponse if url in HTML_URLS else TextResponse
        try:
            parse(cls(url=url, body=body, encoding=encoding))
        except LayoutError:
            layout_errors += 1
        except Exception as exc:  # noqa: BLE001 - this is what is being counted
            crashes.append(f"{sample}: {type(exc).__name__}: {exc}"[:200])
    print(f"bad inputs tried: {count}, rejected as LayoutError: {layout_errors}, crashes: {len(crashes)}")
    for crash in crashes[:5]:
        print("  crash:", crash)


def crawl_command(db: Path) -> list[str]:
    return [str(Path(sys.executable).with_name("scrapy")), "crawl", "wildberries", "-s", f"REPLAY_DIR={RUN_1}",
            "-s", f"DUCKDB_PATH={db}", "-s", "CONCURRENT_REQUESTS=1", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1",
            "-s", "DOWNLOAD_DELAY=0.2", "-s", "LOG_LEVEL=ERROR"]


def staged_rows(db: Path) -> int:
    total = 0
    for run in staging_root_for(db).glob("*"):
        total += sum(len(j.read_text("utf-8").splitlines()) for j in run.glob("*.jsonl"))
        for parquet in run.glob("*.parquet"):
            total += duckdb.sql(f"SELECT count(*) FROM read_parquet('{parquet}')").fetchall()[0][0]
    return total


def rows_in(db: Path) -> int:
    with Database(db).connect(read_only=True) as con:  # waits for a lock (an orphaned ingest may finish)
        tables = ("fetches", "search_hits", "listing_observations", "seller_observations")
        return sum(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables) + con.execute(
            "SELECT count(*) FROM descriptions").fetchone()[0]


def fault_figures(kills: int, seed: int) -> None:
    rng = random.Random(seed)
    lost = 0
    faults = 0
    work = Path(tempfile.mkdtemp(prefix="trust-bench-"))
    for number in range(kills):
        db = work / f"kill-{number}.duckdb"
        proc = subprocess.Popen(crawl_command(db), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        time.sleep(rng.uniform(1.5, 4.0))
        os.killpg(proc.pid, signal.SIGKILL)  # the crawl and any ingest it started: the whole machine "crashes"
        proc.wait()
        before = staged_rows(db)
        in_db_before = rows_in(db) if db.exists() else 0
        Database(db).ingest_pending(staging_root_for(db))
        after = rows_in(db) if db.exists() else 0
        lost += max(0, before + in_db_before - after)
        faults += 1
    # kill -9 during an ingest (inside its transaction), then recover
    from marketplace_spiders.items import ListingObservation
    from marketplace_spiders.storage.staging import RunStager

    db = work / "ingest.duckdb"
    Database(db).session().__enter__().close()
    stager = RunStager(staging_root_for(db), "big-run", batch_size=50_000)
    for i in range(300_000):
        stager.add_item(ListingObservation("wildberries", str(i), "u", title="t", observed_at=AT))
    stager.finish({"run_id": "big-run", "marketplace": "wildberries", "started_at": AT.isoformat(), "status": "ok"})
    proc = subprocess.Popen([sys.executable, "-m", "marketplace_spiders.storage.ingest_process", "--db", str(db),
                             "--run-dir", str(stager.run_dir)], cwd=ROOT, stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:
        if "ingest of run big-run started" in line:
            break
    time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    half_written = rows_in(db)  # must be 0: the transaction never committed
    Database(db).ingest_pending(staging_root_for(db))
    lost += abs(300_000 - rows_in(db)) + half_written
    # a database held by another process past the lock timeout: the run stays staged, then lands
    held = work / "held.duckdb"
    Database(held).session().__enter__().close()
    holder = subprocess.Popen([sys.executable, "-c", f"import duckdb,time; c=duckdb.connect('{held}'); "
                               "print('held', flush=True); time.sleep(30)"], stdout=subprocess.PIPE, text=True)
    holder.stdout.readline()
    subprocess.run(crawl_command(held) + ["-s", "DUCKDB_LOCK_TIMEOUT=1", "-s", "DOWNLOAD_DELAY=0"], cwd=ROOT,
                   check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    staged = staged_rows(held)
    holder.kill()
    holder.wait()
    Database(held).ingest_pending(staging_root_for(held))
    lost += max(0, staged - rows_in(held))
    faults += 2
    print(f"faults injected: {faults} ({kills} kill -9 during a crawl, 1 kill -9 during an ingest, "
          f"1 database held past the lock timeout); staged rows lost: {lost}")
    shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bad-inputs", type=int, default=3000)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--seed", type=int, default=20261122)
    args = parser.parse_args()
    block_figures()
    bad_input_figures(args.bad_inputs, args.seed)
    fault_figures(args.kills, args.seed)


if __name__ == "__main__":
    main()
