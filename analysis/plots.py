"""The report's figures: matplotlib (Agg backend) PNGs built from query results.

Every text drawn from data (titles, legend entries, tick labels, annotations: seller names, product names,
marketplaces) is plain text: each figure function runs under :data:`PLAIN_TEXT` (no mathtext, no TeX), so
a seller called ``Магазин $\\x$`` is drawn as written instead of failing the whole report, and
:func:`label` makes every data value a one-line label that a legend cannot hide.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from pathlib import Path
from typing import ParamSpec, TypeVar

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

P = ParamSpec("P")
R = TypeVar("R")

# rcParams every figure is built and saved under: '$' and '\\' in data are text, never math or TeX.
PLAIN_TEXT = {"text.parse_math": False, "text.usetex": False}
LABEL_LENGTH = 40
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")

SELLER_LINES = 6  # price lines per product: the sellers with most listings; the rest are one line
# Reference prices from public reporting (DOMAIN.md): a Kumdang-2 three-pack sold for up to 7,000 ₽.
BENCHMARK_PRICES = {"Kumdang-2": 7000}
# Prices are only compared within one currency: the price figure draws roubles (the benchmarks' currency).
PLOT_CURRENCY = "RUB"


def plain_text(func: Callable[P, R]) -> Callable[P, R]:
    """Build (and save) the figure with math and TeX parsing off for every text in it."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with plt.rc_context(PLAIN_TEXT):
            return func(*args, **kwargs)

    return wrapper


def label(value: object, limit: int = LABEL_LENGTH) -> str:
    """A data value as a one-line plain label: control characters and line breaks become spaces, long
    values are cut with '…', and a leading '_' (which makes matplotlib leave an entry out of the legend)
    is kept visible."""
    text = CONTROL.sub(" ", str(value)).strip()
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return " " + text if text.startswith("_") else text


def _dates(values: pd.Series) -> pd.Series:
    """Real datetimes for the date axis (the queries return DATE values as Python objects)."""
    return pd.to_datetime(values)


def _save(fig: plt.Figure, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


@plain_text
def listings_over_time(df: pd.DataFrame, path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(10, 4))
    for marketplace, rows in df.groupby("marketplace"):
        ax.plot(_dates(rows["started_at"]), rows["listed"], marker=".", label=label(marketplace))
    ax.set_ylabel("listings listed in the run")
    ax.set_title("Listings per marketplace (failed runs left as gaps)")
    if not df.empty:
        ax.legend()
    fig.autofmt_xdate()
    return _save(fig, path)


@plain_text
def price_timelines(df: pd.DataFrame, path: Path) -> Path:
    if "currency" in df.columns:
        df = df[df["currency"].fillna(PLOT_CURRENCY) == PLOT_CURRENCY]
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
            ax.plot(line["day"], line["median_price"].astype(float), marker=".", label=label(seller))
        rest = rows[~rows["seller"].isin(top)]
        if not rest.empty:
            other = rest.groupby("day")["median_price"].median().sort_index()
            ax.plot(other.index, other.astype(float).values, linestyle=":", label="other sellers (median)")
        benchmark = BENCHMARK_PRICES.get(str(product))
        if benchmark is not None:
            ax.axhline(benchmark, color="grey", linestyle="--", label=f"{benchmark:,} ₽ press benchmark")
        ax.set_title(label(product, 80))
        ax.set_ylabel(f"median price, ₽ ({PLOT_CURRENCY} prices only)")
        ax.legend(fontsize=7)
    if not products:
        axes[0, 0].text(0.5, 0.5, "no watchlist product prices in roubles in the period", ha="center", va="center")
    fig.autofmt_xdate()
    return _save(fig, path)


@plain_text
def crawl_health(df: pd.DataFrame, path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(10, 3.5))
    for marketplace, rows in df.groupby("marketplace"):
        share = rows["blocked_share"].fillna(0) + rows["failed_share"].fillna(0)
        ax.plot(_dates(rows["started_at"]), share * 100, marker=".", label=label(marketplace))
    ax.set_ylabel("% requests blocked or failed")
    ax.set_ylim(bottom=0)
    ax.set_title("Crawl health per run")
    if not df.empty:
        ax.legend()
    fig.autofmt_xdate()
    return _save(fig, path)
