"""`make demo`: replay the bundled recorded crawls through the real spiders into a fresh DuckDB file,
then print a summary and write the analysis report (HTML + Markdown, plots, CSV/Parquet tables).

Every recording folder of every registered marketplace (``marketplace_spiders/marketplaces/<slug>/fixtures/
timeline/run-*``, ``Marketplace.timeline_runs()``) is replayed with
``scrapy crawl <marketplace> -s REPLAY_DIR=<folder>``, oldest recording first, so the database holds
a timeline exactly as if those crawls had run live at the recorded times.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

import duckdb

from marketplace_spiders import marketplaces

ROOT = Path(__file__).resolve().parents[1]


def timeline_runs(fixtures: Path | None = None) -> list[Path]:
    """The recorded runs to replay: every registered marketplace's bundled timeline, or, with ``fixtures``,
    the ``<marketplace>/timeline/run-*`` folders under that folder (another tree of recordings)."""
    if fixtures is not None:
        return [meta.parent for meta in fixtures.glob("*/timeline/run-*/meta.json")]
    return [run for marketplace in marketplaces.marketplaces() for run in marketplace.timeline_runs()]


def recordings(fixtures: Path | None = None) -> list[tuple[str, str, Path]]:
    """(recorded_at, marketplace, folder) of every bundled run (see ``timeline_runs``), oldest first."""
    found = []
    for folder in timeline_runs(fixtures):
        meta = json.loads((folder / "meta.json").read_text("utf-8"))
        found.append((meta["recorded_at"], meta["marketplace"], folder))
    return sorted(found)


def replay(marketplace: str, folder: Path, db: Path) -> None:
    command = [
        str(Path(sys.executable).with_name("scrapy")), "crawl", marketplace,
        "-s", f"REPLAY_DIR={folder}", "-s", f"DUCKDB_PATH={db}", "-s", "LOG_LEVEL=WARNING",
    ]
    result = subprocess.run(command, cwd=ROOT, text=True, capture_output=True)
    # `scrapy crawl` exits 1 for a run judged failed (commands/crawl.py): the replay itself worked and the run is
    # in the database with its status and reasons, which the summary shows. Anything else is a crash.
    if result.returncode != 0 and "crawl: run " not in result.stderr:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"replay of {folder} failed with exit code {result.returncode}")


def build_database(db: Path, fixtures: Path | None = None) -> list[tuple[str, str, Path]]:
    """A fresh ``db`` (leftovers of an earlier one removed: the file, its WAL, staging folder and history
    snapshots) holding every bundled recording (or those under ``fixtures``) replayed oldest first; the
    recordings replayed."""
    suffixes = (".wal", ".staging", ".history", ".evidence", ".quarantine")
    for leftover in (db, *(db.with_name(db.name + suffix) for suffix in suffixes)):
        if leftover.is_dir():
            shutil.rmtree(leftover)
        elif leftover.exists():
            leftover.unlink()
    runs = recordings(fixtures)
    if not runs:
        raise SystemExit(f"no recordings under {fixtures or 'the registered marketplaces'}")
    for recorded_at, marketplace, folder in runs:
        print(f"replaying {marketplace} {folder.name} recorded {recorded_at}")
        replay(marketplace, folder, db)
    return runs


def print_summary(db: Path) -> None:
    sql = resources.files("analysis").joinpath("sql/demo/summary.sql").read_text("utf-8")
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(sql).fetchall()
        print(f"\nDatabase {db}")
        for figure, value in rows:
            print(f"  {figure:<32} {value}")
        print("\nListings: verdict, products, status, title, claims of the latest text (! = illegal for a БАД):")
        listings = resources.files("analysis").joinpath("sql/demo/listings.sql").read_text("utf-8")
        for marketplace, product_id, verdict, products, status, title, claims in con.execute(listings).fetchall():
            print(f"  {verdict:<9} {marketplace:<13} {product_id:<12} {products or '-':<20} {status:<12} "
                  f"{title}  [{claims}]")
        print("\nRuns:")
        runs = resources.files("analysis").joinpath("sql/demo/runs.sql").read_text("utf-8")
        for row in con.execute(runs).fetchall():
            print("  " + "  ".join(str(v) for v in row))
        print_evidence(con, db)


def print_evidence(con: duckdb.DuckDBPyConnection, db: Path) -> None:
    """The evidence archive's figures and one export an analyst can run (marketplace_spiders.evidence)."""
    sql = resources.files("analysis").joinpath("sql/demo/evidence.sql").read_text("utf-8")
    figures = dict(con.execute(sql).fetchall())
    print(f"\nEvidence archive {db}.evidence (WARC per run, WACZ packages):")
    for figure, value in figures.items():
        print(f"  {figure:<32} {value}")
    if not figures["runs signed (RFC 3161)"]:
        print("  The packages are hashed but unsigned: no timestamp authority is configured (EVIDENCE_TSA_URLS).")
    example = resources.files("analysis").joinpath("sql/demo/export_example.sql").read_text("utf-8")
    found = con.execute(example).fetchone()
    if found:
        marketplace, product_id, _count = found
        out = Path("reports/demo/evidence") / f"{marketplace}-{product_id}"
        scrapy = Path(sys.executable).with_name("scrapy")
        if scrapy.is_relative_to(Path.cwd()):
            scrapy = scrapy.relative_to(Path.cwd())
        print("\nExport the evidence of one DPRK listing, then check it as a third party would:")
        print(f"  {scrapy} evidence export --db {db} --marketplace {marketplace} --product-id {product_id} "
              f"--out {out}")
        print(f"  {scrapy} evidence verify {out}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="data/demo.duckdb", type=Path)
    parser.add_argument("--fixtures", default=None, type=Path,
                        help="a folder of <marketplace>/timeline/run-* recordings (default: the bundled ones)")
    parser.add_argument("--report-dir", default="reports/demo", type=Path)
    args = parser.parse_args(argv)
    db = args.db
    build_database(db, args.fixtures)
    print_summary(db)
    from analysis.report import write_report

    report = write_report(db, args.report_dir)
    print(f"\nReport: {report.resolve()} (and report.md, PNG plots, CSV and Parquet tables beside it)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
