"""One command, one self-contained report.

    python -m analysis.report --db data/marketplace.duckdb --out reports/latest \
        [--since 2026-01-01] [--until 2026-03-31] [--marketplace wildberries] [--product kumdang-2]

Writes ``report.html`` (figures embedded as base64 PNG), ``report.md`` (figures beside it), the PNGs,
and every table as CSV and Parquet. The database is opened read-only, so a crawl may be writing.
``--until`` is inclusive (the whole day); ``--product`` is a watchlist product id or name (then its
search terms select the listings) or any text searched in titles.
"""

from __future__ import annotations

import argparse
import base64
import html
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from analysis import plots
from analysis.queries import ensure_analysis_views, relation_exists, run_file, run_sql, sql_text
from marketplace_spiders.watchlist import Watchlist

HTML_ROWS = 100  # rows of each table shown in the report; the CSV/Parquet files hold all of them
TOP_SELLERS = 20


@dataclass
class Section:
    title: str
    text: str
    table: str | None = None  # name of the exported table shown under the text
    image: Path | None = None


@dataclass
class Report:
    title: str
    filters: dict[str, str]
    figures: list[tuple[str, Any]] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)


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
    pq.write_table(table, out / f"{name}.parquet")
    pa_csv.write_csv(table, out / f"{name}.csv")
    return table.to_pandas()


def build(con: duckdb.DuckDBPyConnection, out: Path, params: dict[str, Any], product: str | None) -> Report:
    if ensure_analysis_views(con) and not relation_exists(con, "current_listings", tables_only=True):
        # An old database without the materialised table: one snapshot per report, so the queries below
        # that read current_listings do not each recompute it.
        con.execute("CREATE TEMP TABLE current_listings_snapshot AS SELECT * FROM current_listings").fetchall()
        con.execute("CREATE OR REPLACE TEMP VIEW current_listings AS SELECT * FROM current_listings_snapshot")
    params = {**params, **watch_parameters(product, Watchlist.load()), "limit": TOP_SELLERS}
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
    for name in ("listings_over_time", "price_timeline", "new_listings", "vanished_listings", "top_sellers",
                 "crawl_health", "verdicts"):
        tables[name] = _export(out, name, run_file(con, name, params))

    scope = con.execute(
        "SELECT count(DISTINCT (marketplace, product_id)), "
        "count(DISTINCT (marketplace, product_id)) FILTER (WHERE watch_product IS NOT NULL), "
        "count(DISTINCT (marketplace, product_id)) FILTER (WHERE verdict = 'strong'), "
        "count(DISTINCT (marketplace, product_id)) FILTER (WHERE verdict = 'possible') FROM report_listings"
    ).fetchall()[0]
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
        f"Daily median price per seller legal entity; the {plots.SELLER_LINES} entities with most listings "
        "per product get their own line.",
        "price_timeline",
        plots.price_timelines(tables["price_timeline"], out / "price_timeline.png"),
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
        f"The {TOP_SELLERS} legal entities (INN, else OGRN, else storefront) with most listings in scope.",
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
    esc = html.escape
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{esc(report.title)}</title>",
        "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto}"
        "table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccc;padding:2px 6px}"
        "th{background:#eee}</style></head><body>",
        f"<h1>{esc(report.title)}</h1>",
        "<p>" + "; ".join(f"{esc(k)}: {esc(v)}" for k, v in report.filters.items()) + "</p>",
        "<h2>Figures</h2><table>",
        *[f"<tr><th>{esc(k)}</th><td>{esc(str(v))}</td></tr>" for k, v in report.figures],
        "</table>",
    ]
    for section in report.sections:
        parts.append(f"<h2>{esc(section.title)}</h2><p>{esc(section.text)}</p>")
        if section.image is not None:
            parts.append(f"<img alt='{esc(section.title)}' src='{_png_data_uri(section.image)}'>")
        if section.table is not None:
            df = report.tables[section.table]
            parts.append(f"<p>{len(df)} rows; all of them in {esc(section.table)}.csv / .parquet.</p>")
            parts.append(df.head(HTML_ROWS).to_html(index=False, escape=True, na_rep=""))
    parts.append("</body></html>")
    return "\n".join(parts)


def _markdown_table(df: pd.DataFrame) -> str:
    def cell(value: object) -> str:
        if value is None or (not isinstance(value, list | tuple) and pd.isna(value)):
            return ""
        text = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
        return text.replace("|", "\\|").replace("\n", " ")

    header = "| " + " | ".join(cell(c) for c in df.columns) + " |"
    rule = "|" + "---|" * len(df.columns)
    rows = ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join([header, rule, *rows])


def render_markdown(report: Report) -> str:
    lines = [f"# {report.title}", "", "; ".join(f"{k}: {v}" for k, v in report.filters.items()), "",
             "## Figures", "", "| figure | value |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in report.figures]
    for section in report.sections:
        lines += ["", f"## {section.title}", "", section.text, ""]
        if section.image is not None:
            lines += [f"![{section.title}]({section.image.name})", ""]
        if section.table is not None:
            df = report.tables[section.table]
            lines += [f"{len(df)} rows; all of them in `{section.table}.csv` / `.parquet`.", "",
                      _markdown_table(df.head(HTML_ROWS))]
    return "\n".join(lines) + "\n"


def write_report(
    db_path: str | Path,
    out_dir: str | Path,
    since: str | date | None = None,
    until: str | date | None = None,
    marketplace: str | None = None,
    product: str | None = None,
) -> Path:
    """Write the report into ``out_dir`` and return the path of ``report.html``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    until_start = _as_start(until)
    params = {
        "since": _as_start(since),
        "until": until_start + timedelta(days=1) if until_start else None,
        "marketplace": marketplace,
    }
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        report = build(con, out, params, product)
    finally:
        con.close()
    (out / "report.md").write_text(render_markdown(report), encoding="utf-8")
    html_path = out / "report.html"
    html_path.write_text(render_html(report), encoding="utf-8")
    return html_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the HTML + Markdown analysis report.")
    parser.add_argument("--db", required=True, type=Path)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--since", help="first day, YYYY-MM-DD")
    parser.add_argument("--until", help="last day (inclusive), YYYY-MM-DD")
    parser.add_argument("--marketplace")
    parser.add_argument("--product", help="watchlist product id or name, or text searched in titles")
    args = parser.parse_args(argv)
    path = write_report(args.db, args.out, args.since, args.until, args.marketplace, args.product)
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
