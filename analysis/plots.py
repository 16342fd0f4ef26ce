"""The report's figures: matplotlib (Agg backend) PNGs built from query results."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

SELLER_LINES = 6  # price lines per product: the sellers with most listings; the rest are one line
# Reference prices from public reporting (DOMAIN.md): a Kumdang-2 three-pack sold for up to 7,000 ₽.
BENCHMARK_PRICES = {"Kumdang-2": 7000}


def _dates(values: pd.Series) -> pd.Series:
    """Real datetimes for the date axis (the queries return DATE values as Python objects)."""
    return pd.to_datetime(values)


def _save(fig: plt.Figure, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def listings_over_time(df: pd.DataFrame, path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(10, 4))
    for marketplace, rows in df.groupby("marketplace"):
        ax.plot(_dates(rows["started_at"]), rows["listed"], marker=".", label=str(marketplace))
    ax.set_ylabel("listings listed in the run")
    ax.set_title("Listings per marketplace (failed runs left as gaps)")
    if not df.empty:
        ax.legend()
    fig.autofmt_xdate()
    return _save(fig, path)


def price_timelines(df: pd.DataFrame, path: Path) -> Path:
    df = df.assign(day=_dates(df["day"])) if not df.empty else df
    products = sorted(df["watch_product"].unique()) if not df.empty else []
    # one shared date axis: autofmt_xdate labels only the bottom panel, so every panel must use its range
    fig, axes = plt.subplots(max(len(products), 1), 1, figsize=(10, 3.2 * max(len(products), 1)), squeeze=False,
                             sharex=True)
    for ax, product in zip(axes[:, 0], products, strict=False):
        rows = df[df["watch_product"] == product]
        top = rows.groupby("seller")["listings"].sum().nlargest(SELLER_LINES).index
        for seller in top:
            line = rows[rows["seller"] == seller].sort_values("day")
            ax.plot(line["day"], line["median_price"].astype(float), marker=".", label=str(seller)[:40])
        rest = rows[~rows["seller"].isin(top)]
        if not rest.empty:
            other = rest.groupby("day")["median_price"].median().sort_index()
            ax.plot(other.index, other.astype(float).values, linestyle=":", label="other sellers (median)")
        benchmark = BENCHMARK_PRICES.get(str(product))
        if benchmark is not None:
            ax.axhline(benchmark, color="grey", linestyle="--", label=f"{benchmark:,} ₽ press benchmark")
        ax.set_title(str(product))
        ax.set_ylabel("median price, ₽")
        ax.legend(fontsize=7)
    if not products:
        axes[0, 0].text(0.5, 0.5, "no watchlist product prices in the period", ha="center", va="center")
    fig.autofmt_xdate()
    return _save(fig, path)


def crawl_health(df: pd.DataFrame, path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(10, 3.5))
    for marketplace, rows in df.groupby("marketplace"):
        share = rows["blocked_share"].fillna(0) + rows["failed_share"].fillna(0)
        ax.plot(_dates(rows["started_at"]), share * 100, marker=".", label=str(marketplace))
    ax.set_ylabel("% requests blocked or failed")
    ax.set_ylim(bottom=0)
    ax.set_title("Crawl health per run")
    if not df.empty:
        ax.legend()
    fig.autofmt_xdate()
    return _save(fig, path)
