"""One command, one self-contained report.

    python -m analysis.report --db data/marketplace.duckdb --out reports/latest \
        [--since 2026-01-01] [--until 2026-03-31] [--marketplace wildberries] [--product kumdang-2] \
        [--watchlist my-watchlist.toml]

Writes ``report.html`` (figures embedded as base64 PNG), ``report.md`` (figures beside it), the PNGs,
and every table as CSV and Parquet. The database is opened read-only, so a crawl may be writing.
``--until`` is inclusive (the whole day); ``--marketplace`` must be a known marketplace slug (else a
usage error, exit 2); ``--product`` is a watchlist product id or name (then its search terms select the
listings) or any text searched in titles. The watchlist is the crawl's: ``--watchlist``, else the project's
WATCHLIST_PATH setting (which defaults to ``$MONITOR_WATCHLIST``), else the packaged one. Every value from data is
escaped for its output (see analysis/outputs.py): Markdown/HTML in report.md and report.html, spreadsheet
formulas in the CSV files.
"""

from __future__ import annotations

import argparse
import base64
import os
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from analysis import outputs, plots
from analysis.outputs import Report, Section
from analysis.queries import ensure_analysis_views, relation_exists, run_file, run_sql, sql_text
from marketplace_spiders.core_config import WatchlistConfig
from marketplace_spiders.watchlist import MARKETPLACES, Watchlist, WatchlistError

HTML_ROWS = 100  # rows of each table shown in the report; the CSV/Parquet files hold all of them
TOP_SELLERS = 20


class UsageError(ValueError):
    """A report argument that cannot be right (the CLI turns it into exit status 2)."""


def _as_start(value: str | date | None) -> datetime | None:
    if value is None:
        return None
    day = value if isinstance(value, date) else date.fromisoformat(str(value))
    return datetime(day.year, day.month, day.day)


def watch_parameters(product: str | None, watchlist: Watchlist) -> dict[str, Any]:
    """$watch_products / $watch_ids / $watch_terms (zipped lists) and $product_patterns for report_listings.sql."""
    pairs = [
        (p, t)
        for p in watchlist.products
        for t in dict.fromkeys(
            list(p.terms) + [x for m in p.marketplaces.values() for x in m.get("terms", []) + m.get("extra_terms", [])]
        )
    ]
    patterns = None
    if product:
        key = product.strip().lower()
        chosen = [p for p in watchlist.products if key in (p.id.lower(), p.name.lower())]
        if chosen:
            pairs = [(p, t) for p, t in pairs if p in chosen]
            patterns = [chosen[0].name.lower()] + [t.lower() for _, t in pairs]
        else:
            patterns = [key]
    return {
        "watch_products": [p.name for p, _ in pairs],
        "watch_ids": [p.id for p, _ in pairs],
        "watch_terms": [t for _, t in pairs],
        "product_patterns": patterns,
    }


def _export(out: Path, name: str, table: pa.Table) -> pd.DataFrame:
    return outputs.export_table(out, name, table)


def crawl_watchlist_path() -> str | None:
    """The watchlist a crawl would read without ``-s``: the WATCHLIST_PATH of the project settings
    (``$SCRAPY_SETTINGS_MODULE``, else marketplace_spiders.settings, where it defaults to
    ``$MONITOR_WATCHLIST``); None = the packaged file."""
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule(os.environ.get("SCRAPY_SETTINGS_MODULE") or "marketplace_spiders.settings", priority="project")
    return WatchlistConfig.from_settings(settings).path


def known_marketplaces(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The marketplaces a crawl can have, and any other the database holds runs of."""
    rows = con.execute(sql_text("known_marketplaces")).fetchall()
    return sorted(set(MARKETPLACES) | {r[0] for r in rows})


def check_marketplace(con: duckdb.DuckDBPyConnection, marketplace: str | None) -> str | None:
    """The marketplace slug to filter on, or UsageError naming the known ones (a misspelt slug would
    otherwise select nothing and make an empty report)."""
    if marketplace is None:
        return None
    known = known_marketplaces(con)
    slug = marketplace.strip().lower()
    if slug not in known:
        raise UsageError(f"unknown --marketplace {marketplace!r}; known marketplaces: {', '.join(known)}")
    return slug


def build(
    con: duckdb.DuckDBPyConnection,
    out: Path,
    params: dict[str, Any],
    product: str | None,
    watchlist: Watchlist | None = None,
) -> Report:
    if ensure_analysis_views(con) and not relation_exists(con, "current_listings", tables_only=True):
        # An old database without the materialised table: one snapshot per report, so the queries below
        # that read current_listings do not each recompute it.
        con.execute("CREATE TEMP TABLE current_listings_snapshot AS SELECT * FROM current_listings").fetchall()
        con.execute("CREATE OR REPLACE TEMP VIEW current_listings AS SELECT * FROM current_listings_snapshot")
    watchlist = watchlist if watchlist is not None else Watchlist.load(crawl_watchlist_path())
    params = {**params, **watch_parameters(product, watchlist), "limit": TOP_SELLERS}
    run_sql(con, "CREATE OR REPLACE TEMP TABLE report_listings AS " + sql_text("report_listings"), params)
    report = Report(
        title="DPRK health products on Russian marketplaces",
        filters={
            "since": str(params["since"] or "start"),
            "until (exclusive)": str(params["until"] or "now"),
            "marketplace": params["marketplace"] or "all",
            "product": product or "all",
        },
    )
    tables = report.tables
    for name in ("listings_over_time", "price_timeline", "price_changes", "new_listings", "vanished_listings",
                 "top_sellers", "crawl_health", "verdicts"):
        tables[name] = _export(out, name, run_file(con, name, params))

    scope = con.execute(sql_text("report_scope")).fetchall()[0]
    health = tables["crawl_health"]
    requests = int(health["requests"].sum())
    report.figures = [
        ("runs in the period", len(health)),
        ("runs failed", int((health["status"] == "failed").sum())),
        ("listings in scope", scope[0] if scope else 0),
        ("of which matched to a watchlist product", scope[1] if scope else 0),
        ("of which verdict strong", scope[2] if scope else 0),
        ("of which verdict possible", scope[3] if scope else 0),
        ("new listings in the period", len(tables["new_listings"])),
        ("listings that vanished in the period", len(tables["vanished_listings"])),
        ("price changes in the period", len(tables["price_changes"])),
        ("requests", requests),
        ("blocked share of requests", _share(int(health["blocked"].sum()), requests)),
        ("failed share of requests", _share(int(health["failed"].sum()), requests)),
    ]

    over_time = tables["listings_over_time"]
    report.sections.append(Section(
        "Listings per marketplace over time",
        "Listings each run confirmed as listed (available or out of stock). Failed runs have no count: "
        "nothing they returned is trusted.",
        "listings_over_time",
        plots.listings_over_time(over_time, out / "listings_over_time.png"),
    ))
    report.sections.append(Section(
        "Price timelines of the watchlist products",
        f"Daily median price per seller legal entity and currency; the figure draws prices in roubles only "
        f"(prices in another currency are never compared with them; they are in the table with their "
        f"currency), and the {plots.SELLER_LINES} entities with most listings per product get their own line.",
        "price_timeline",
        plots.price_timelines(tables["price_timeline"], out / "price_timeline.png"),
    ))
    report.sections.append(Section(
        "Price changes",
        "Changes of a listing's price between two consecutive trusted observations in the same currency: "
        "a listing shown in another currency is not a price change, and change_abs is in the row's currency.",
        "price_changes",
    ))
    report.sections.append(Section(
        "New listings", "Listings first seen listed in the period.", "new_listings"))
    report.sections.append(Section(
        "Vanished listings",
        "Listings a successful run found gone (answered not found, or absent from a run that checked "
        "them without a block) after they had been listed. Blocked or failed runs never count.",
        "vanished_listings",
    ))
    report.sections.append(Section(
        "Top sellers by legal entity",
        f"The {TOP_SELLERS} legal entities (INN, else OGRN, else storefront) with most listings in scope; "
        "median_price_rub is over their listings priced in roubles only.",
        "top_sellers",
    ))
    report.sections.append(_claims_section(con, out, params, tables))
    report.sections.insert(0, Section(
        "Verdicts",
        "Listings per marketplace by the classifier's verdict on their latest text: strong (a DPRK-specific "
        "product, or a DPRK origin signal or entity on a health product), possible, unrelated.",
        "verdicts",
    ))
    report.sections.append(Section(
        "Crawl health",
        _health_text(health),
        "crawl_health",
        plots.crawl_health(health, out / "crawl_health.png"),
    ))
    return report


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.1%}" if whole else "n/a"


def _health_text(health: pd.DataFrame) -> str:
    lines = []
    for marketplace, rows in health.groupby("marketplace"):
        statuses = rows["status"].value_counts().to_dict()
        requests = int(rows["requests"].sum())
        lines.append(
            f"{marketplace}: {len(rows)} runs ({', '.join(f'{k} {v}' for k, v in sorted(statuses.items()))}); "
            f"{requests} requests, blocked {_share(int(rows['blocked'].sum()), requests)}, "
            f"failed {_share(int(rows['failed'].sum()), requests)}."
        )
    return " ".join(lines) or "No runs in the period."


def _claims_section(
    con: duckdb.DuckDBPyConnection, out: Path, params: dict[str, Any], tables: dict[str, pd.DataFrame]
) -> Section:
    tables["claims_frequency"] = _export(out, "claims_frequency", run_file(con, "claims_frequency", params))
    return Section(
        "Health claims",
        "Listings whose text ever made each claim category, and whose latest text still makes it "
        "(listing_claims); illegal_for_bad marks claims a БАД or cosmetic may not make.",
        "claims_frequency",
    )


def _png_data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def render_html(report: Report) -> str:
    return outputs.render_html(report, _png_data_uri, HTML_ROWS)


def render_markdown(report: Report) -> str:
    return outputs.render_markdown(report, HTML_ROWS)


def write_report(
    db_path: str | Path,
    out_dir: str | Path,
    since: str | date | None = None,
    until: str | date | None = None,
    marketplace: str | None = None,
    product: str | None = None,
    watchlist: str | Path | None = None,
) -> Path:
    """Write the report into ``out_dir`` and return the path of ``report.html``. ``watchlist``: a watchlist
    file (default: as a crawl, see crawl_watchlist_path). Raises UsageError for an
    unknown marketplace and WatchlistError for an invalid watchlist, before writing anything."""
    chosen = Watchlist.load(watchlist if watchlist is not None else crawl_watchlist_path())
    out = Path(out_dir)
    until_start = _as_start(until)
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        params = {
            "since": _as_start(since),
            "until": until_start + timedelta(days=1) if until_start else None,
            "marketplace": check_marketplace(con, marketplace),
        }
        out.mkdir(parents=True, exist_ok=True)
        report = build(con, out, params, product, chosen)
    finally:
        con.close()
    (out / "report.md").write_text(render_markdown(report), encoding="utf-8")
    html_path = out / "report.html"
    html_path.write_text(render_html(report), encoding="utf-8")
    return html_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analysis.report",
                                     description="Write the HTML + Markdown analysis report.")
    parser.add_argument("--db", required=True, type=Path)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--since", help="first day, YYYY-MM-DD")
    parser.add_argument("--until", help="last day (inclusive), YYYY-MM-DD")
    parser.add_argument("--marketplace", help=f"one of {', '.join(MARKETPLACES)}")
    parser.add_argument("--product", help="watchlist product id or name, or text searched in titles")
    parser.add_argument("--watchlist", type=Path,
                        help="watchlist TOML (default: as a crawl, the WATCHLIST_PATH setting, which defaults to "
                             "$MONITOR_WATCHLIST, else the packaged one)")
    args = parser.parse_args(argv)
    if not args.db.is_file():
        parser.exit(2, f"{parser.prog}: error: --db {str(args.db)!r}: no such database file\n")
    for name in ("since", "until"):
        value = getattr(args, name)
        try:
            _as_start(value)
        except ValueError:
            parser.exit(2, f"{parser.prog}: error: --{name} {value!r} is not a date (YYYY-MM-DD)\n")
    try:
        path = write_report(args.db, args.out, args.since, args.until, args.marketplace, args.product,
                            args.watchlist)
    except (UsageError, WatchlistError) as exc:
        parser.exit(2, f"{parser.prog}: error: {exc}\n")
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
