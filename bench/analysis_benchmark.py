"""Scale check of the analysis views and the report on a synthetic 10-million-observation database.

    python bench/analysis_benchmark.py [--db /tmp/analysis-bench.duckdb] [--listings 50000] [--runs 200]

Builds (with DuckDB SQL only) 3 marketplaces x N runs, each listing observed in every run of its
marketplace unless its detail batch was blocked: every 25th run fails (all requests blocked), every 10th
is degraded (a third of the detail batches blocked), prices step every 10-60 runs, stock flips every
5-35 runs, a fifth of the listings die (then answered 'not found'), one in fifty of those is never
answered again (only its search term tells it is gone). Then refreshes the materialised analysis tables
(what every ingest does: current_listings, price_changes, availability_spells from their *_live views) and
prints the time of each (and of the whole post-ingest refresh in a process of its own, with and without
DUCKDB_REFRESH_MEMORY_LIMIT, with its peak RSS), and times reading each table against a bare DuckDB window query over
listing_observations (medians of --repeat runs, interleaved), and the report.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis.report import write_report  # noqa: E402
from marketplace_spiders.storage.database import (  # noqa: E402
    REFRESH_MEMORY_LIMIT,
    Database,
    refresh_analysis,
    transaction,
)
from marketplace_spiders.watchlist import Watchlist  # noqa: E402

GENERATE = [
    """
    INSERT INTO crawl_runs
    SELECT 'run-' || m || '-' || lpad(r::VARCHAR, 4, '0'), ['wildberries', 'ozon', 'yandex_market'][m + 1],
           TIMESTAMP '2026-01-01' + to_days(r::INT) + to_hours(m::INT),
           TIMESTAMP '2026-01-01' + to_days(r::INT) + to_hours(m::INT + 1),
           CASE WHEN r % 25 = 13 THEN 'failed' WHEN r % 10 = 7 THEN 'degraded' ELSE 'ok' END,
           NULL, 0, 0, 0, 0, false, TIMESTAMP '2026-08-01'
    FROM range(3) t(m), range($runs) s(r)
    """,
    """
    CREATE TEMP TABLE bench_listings AS
    SELECT i, i % 3 AS m, 'p' || i AS product_id, ['wildberries', 'ozon', 'yandex_market'][i % 3 + 1] AS marketplace,
           CASE WHEN i % 50 = 1 THEN (hash(i) % $runs)::INT ELSE 0 END AS birth,
           CASE WHEN i % 5 = 0 THEN ($runs // 4 + hash(i * 3) % ($runs * 3 // 4))::INT ELSE 1000000 END AS death,
           i % 250 = 0 AS silent_after_death,
           (500 + hash(i * 7) % 6500)::DECIMAL(14, 2) AS base_price,
           (10 + hash(i * 11) % 50)::INT AS price_period,
           (5 + hash(i * 13) % 30)::INT AS stock_period,
           $terms[1 + i % len($terms)] AS term,
           's' || (i % 2000) AS seller_id,
           (i % 3 * 100000 + i // 3 // 100)::INT AS batch
    FROM range($listings) t(i)
    """,
    """
    CREATE TEMP TABLE bench_blocked AS
    SELECT c.run_id, b.batch
    FROM crawl_runs c, (SELECT DISTINCT batch FROM bench_listings) b
    WHERE c.status = 'failed' OR (c.status = 'degraded' AND b.batch % 3 = 0)
    """,
    """
    CREATE TEMP TABLE bench_runs AS
    SELECT run_id, started_at, status, (run_id[5])::INT AS m, (run_id[7:])::INT AS r FROM crawl_runs
    """,
    """
    INSERT INTO listing_observations
    SELECT c.run_id, l.marketplace, l.product_id, 'https://x/' || l.product_id,
           CASE WHEN c.r < l.death THEN 'listed' ELSE 'not_found' END,
           c.started_at + to_seconds((l.i % 3000)::INT),
           CASE WHEN c.r < l.death THEN (CASE WHEN l.i % 50 = 0 THEN 'Кымдан-2 ампулы ' ELSE 'товар ' END) || l.i END,
           'brand', CASE WHEN c.r < l.death THEN l.seller_id END,
           CASE WHEN c.r < l.death THEN 'shop ' || l.seller_id END,
           CASE WHEN c.r < l.death THEN l.base_price * (1 + 0.05 * ((c.r + l.i) // l.price_period % 3)) END,
           NULL, 'RUB',
           CASE WHEN c.r < l.death THEN (c.r + l.i) // l.stock_period % 4 <> 0 END,
           CASE WHEN c.r < l.death THEN ((c.r + l.i) // l.stock_period % 4 <> 0)::INT * 7 END,
           false, 4.5, 10, 'КНДР', 'Pugang', 'БАД', NULL, 'detail', NULL
    FROM bench_listings l
    JOIN bench_runs c ON c.m = l.m AND c.r >= l.birth
    ANTI JOIN bench_blocked b ON b.run_id = c.run_id AND b.batch = l.batch
    WHERE NOT (l.silent_after_death AND c.r >= l.death)
    """,
    """
    INSERT INTO fetches
    SELECT c.run_id, l.marketplace, 'https://x/detail/' || l.batch, 'detail',
           CASE WHEN b.batch IS NULL THEN 'ok' ELSE 'blocked' END, 200, NULL, NULL,
           list(l.product_id ORDER BY l.i), c.started_at, NULL, 1000
    FROM bench_runs c
    JOIN bench_listings l ON l.m = c.m AND c.r >= l.birth AND NOT (l.silent_after_death AND c.r >= l.death)
    LEFT JOIN bench_blocked b ON b.run_id = c.run_id AND b.batch = l.batch
    GROUP BY c.run_id, l.marketplace, l.batch, b.batch, c.started_at
    """,
    """
    INSERT INTO fetches
    SELECT c.run_id, c.marketplace, 'https://x/search/' || t.term || '/' || p, 'search',
           CASE WHEN c.status = 'failed' OR (c.status = 'degraded' AND hash(t.term) % 4 = 0) THEN 'blocked'
                ELSE 'ok' END,
           200, NULL, t.term, [], c.started_at, NULL, 1000
    FROM crawl_runs c, (SELECT DISTINCT term FROM bench_listings) t, range(1, 4) q(p)
    """,
    """
    INSERT INTO search_hits
    SELECT o.run_id, o.marketplace, l.term, 1, 1, o.product_id, o.title, o.observed_at, NULL
    FROM listing_observations o JOIN bench_listings l USING (product_id)
    WHERE o.listing_status = 'listed' AND ((hash(o.run_id) + l.i) % 10 = 0 OR o.run_id LIKE '%-0000')
    """,
    """
    INSERT INTO sellers
    SELECT m, 's' || s, 'shop s' || s, 'ООО Фирма ' || (s % 1500), (7700000000 + s % 1500)::VARCHAR,
           (1027700000000 + s % 1500)::VARCHAR, TIMESTAMP '2026-01-01', TIMESTAMP '2026-07-19'
    FROM range(2000) t(s), (VALUES ('wildberries'), ('ozon'), ('yandex_market')) v(m)
    """,
    """
    INSERT INTO listings
    SELECT marketplace, product_id, any_value(url), min(observed_at), max(observed_at)
    FROM listing_observations WHERE listing_status = 'listed' GROUP BY ALL
    """,
]

# The same questions asked the plain way: one window over listing_observations, no trust rules.
BARE = {
    "price_changes": """
        SELECT * FROM (
            SELECT marketplace, product_id, observed_at, price,
                   lag(price) OVER (PARTITION BY marketplace, product_id ORDER BY observed_at) AS old_price
            FROM listing_observations WHERE listing_status = 'listed')
        WHERE price <> old_price""",
    "availability_spells": """
        SELECT marketplace, product_id, state, spell, min(observed_at) AS started_at,
               max(observed_at) AS ended_at, count(*) AS observations
        FROM (
            SELECT *, sum(changed::INT) OVER (PARTITION BY marketplace, product_id ORDER BY observed_at
                                              ROWS UNBOUNDED PRECEDING) AS spell
            FROM (
                SELECT marketplace, product_id, observed_at, state,
                       lag(state) OVER (PARTITION BY marketplace, product_id ORDER BY observed_at)
                           IS DISTINCT FROM state AS changed
                FROM (SELECT *, CASE WHEN listing_status = 'not_found' THEN 'gone'
                                     WHEN in_stock = false THEN 'out_of_stock' ELSE 'available' END AS state
                      FROM listing_observations)))
        GROUP BY ALL""",
    "current_listings": """
        SELECT * FROM listing_observations
        QUALIFY row_number() OVER (PARTITION BY marketplace, product_id ORDER BY observed_at DESC) = 1""",
}


def build(path: Path, listings: int, runs: int) -> None:
    terms = [t for p in Watchlist.load().products for t in p.terms]
    with Database(path).session() as con:
        for sql in GENERATE:
            used = {k: v for k, v in {"runs": runs, "listings": listings, "terms": terms}.items() if f"${k}" in sql}
            con.execute(sql, used).fetchall()


def timed(con: duckdb.DuckDBPyConnection, sql: str) -> float:
    start = time.perf_counter()
    con.execute(sql).fetchall()
    return time.perf_counter() - start


REFRESH_CHILD = """
import sys, time
from marketplace_spiders.storage.database import Database
db = Database(sys.argv[1], refresh_memory_limit=sys.argv[2])
with db.session() as con:
    con.execute("SET threads = 2")
    con.execute("SET enable_progress_bar = false")
    start = time.perf_counter()
    db.refresh_bounded(con)
    seconds = time.perf_counter() - start
# VmHWM: this process's own peak RSS (ru_maxrss from wait4 would start at the parent's RSS at fork time)
peak_kb = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(seconds, peak_kb * 1024)
"""


def refresh_in_child(db: Path, limit: str) -> tuple[float, int]:
    """The post-ingest refresh (Database.refresh_bounded) in a process of its own: (seconds, peak RSS bytes)."""
    proc = subprocess.Popen([sys.executable, "-c", REFRESH_CHILD, str(db), limit], cwd=ROOT, stdout=subprocess.PIPE,
                            text=True)
    out = proc.stdout.read()
    if proc.wait() != 0:
        raise SystemExit(f"refresh child failed (memory limit {limit or 'none'})")
    seconds, peak = out.strip().splitlines()[-1].split()
    return float(seconds), int(peak)


def median_of(repeat: int, action: Callable[[], float]) -> float:
    return statistics.median(action() for _ in range(repeat))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path(tempfile.gettempdir()) / "analysis-bench.duckdb")
    parser.add_argument("--listings", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--reuse", action="store_true", help="keep an existing --db instead of rebuilding")
    args = parser.parse_args(argv)
    if not (args.reuse and args.db.exists()):
        for leftover in (args.db, args.db.with_name(args.db.name + ".wal")):
            leftover.unlink(missing_ok=True)
        start = time.perf_counter()
        build(args.db, args.listings, args.runs)
        print(f"built {args.db} in {time.perf_counter() - start:.0f} s")
    con = duckdb.connect(str(args.db))
    con.execute("SET threads = 2").fetchall()
    count = con.execute("SELECT count(*) FROM listing_observations").fetchall()[0][0]
    print(f"{count:,} observations ({args.listings:,} listings x {args.runs} runs of their marketplace, "
          f"minus blocked/failed/unborn); threads=2; medians of {args.repeat}")
    # The write side: what each ingest adds to refresh the materialised tables (the *_live views computed).
    refresh = {}
    for view in BARE:
        refresh[view] = timed(con, f"CREATE OR REPLACE TABLE {view} AS SELECT * FROM {view}_live")
    start = time.perf_counter()
    with transaction(con):
        refresh_analysis(con)
    total = time.perf_counter() - start
    print(f"refresh of all materialised tables (done by every ingest, in a transaction of its own): {total:.2f} s")
    con.close()
    for limit in ("", REFRESH_MEMORY_LIMIT):
        seconds, peak = refresh_in_child(args.db, limit)
        print(f"post-ingest refresh in a process of its own, DUCKDB_REFRESH_MEMORY_LIMIT={limit or 'none'}: "
              f"{seconds:.2f} s, peak RSS {peak / 2**20:,.0f} MB")
    con = duckdb.connect(str(args.db))
    con.execute("SET threads = 2").fetchall()
    print(f"{'view':<22}{'rows':>10}{'refresh s':>11}{'count(*) s':>12}{'bare s':>9}{'ratio':>7}"
          f"{'select * s':>12}{'bare s':>9}{'ratio':>7}")
    for view, bare in BARE.items():
        rows = con.execute(f"SELECT count(*) FROM {view}").fetchall()[0][0]
        c_view, c_bare, m_view, m_bare = [], [], [], []
        for _ in range(args.repeat):  # interleaved, so load from other processes hits both sides
            c_view.append(timed(con, f"SELECT count(*) FROM {view}"))
            c_bare.append(timed(con, f"SELECT count(*) FROM ({bare})"))
            m_view.append(timed(con, f"CREATE OR REPLACE TEMP TABLE x AS SELECT * FROM {view}"))
            m_bare.append(timed(con, f"CREATE OR REPLACE TEMP TABLE x AS {bare}"))
        cv, cb, mv, mb = (statistics.median(v) for v in (c_view, c_bare, m_view, m_bare))
        print(f"{view:<22}{rows:>10,}{refresh[view]:>11.2f}{cv:>12.2f}{cb:>9.2f}{cv / cb:>7.2f}"
              f"{mv:>12.2f}{mb:>9.2f}{mv / mb:>7.2f}")
    con.close()
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        write_report(args.db, out)
        print(f"report (all data, no filters): {time.perf_counter() - start:.1f} s")
        start = time.perf_counter()
        write_report(args.db, out, product="kumdang-2")
        print(f"report --product kumdang-2: {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
