"""Is an item plausible, and is a whole run healthy enough to trust?

``validate_item`` lists what is wrong with one item (missing required fields, wrong types, values out of
range). Every problem reads ``"<field>: <what is wrong>"`` so it can be counted per field in stats.

``assess_run`` turns a run's counters, the same counters of earlier runs and the run's expectations into
``RunHealth(status, reasons)``: ``failed`` when the run produced nothing usable or fell outside its
expected range, ``degraded`` when it produced data but something looks off, ``ok`` otherwise. The
expectations are what each spider declares in its ``expectations`` attribute (``EXPECTATION_KEYS``: item
count range, least shares of listed observations with a price or a seller, of search pages with hits),
with the ``RUN_EXPECTATIONS`` setting laid over them (``merged_expectations``). Thresholds
live in ``HealthThresholds``; each field can be overridden by a Scrapy setting named ``RUN_`` + the field
name in upper case (``-s RUN_MIN_VALID_SHARE=0.8``).
"""

from __future__ import annotations

import json
import statistics
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, fields
from decimal import Decimal
from functools import cache
from typing import Any, Literal

from marketplace_spiders.core_config import HealthThresholds  # the RUN_* settings, defaults and docs
from marketplace_spiders.items import (
    FetchRecord,
    ListingContent,
    ListingObservation,
    SearchHit,
    SellerObservation,
)
from marketplace_spiders.values import valid_inn, valid_ogrn

MAX_PLAUSIBLE_PRICE = Decimal(10_000_000)
"""Roubles; a price at or above this is a parsing error (kopecks read as roubles, a phone number)."""

LISTING_STATUSES = frozenset({"listed", "not_found"})
FETCH_OUTCOMES = frozenset({"ok", "blocked", "failed", "not_found", "malformed"})

REQUIRED_FIELDS: dict[type, tuple[str, ...]] = {
    ListingObservation: ("marketplace", "product_id", "url", "observed_at"),
    ListingContent: ("marketplace", "product_id"),
    SellerObservation: ("marketplace", "seller_id", "observed_at"),
    SearchHit: ("marketplace", "term", "product_id", "observed_at"),
    FetchRecord: ("marketplace", "url", "page_type", "outcome"),
}


def validate_item(item: object) -> list[str]:
    """Problems with one item, each ``"<field>: <problem>"``; an empty list means the item is plausible."""
    if type(item) not in REQUIRED_FIELDS:
        return [f"item: unknown item type {type(item).__name__}"]
    problems = [f"{name}: missing" for name in REQUIRED_FIELDS[type(item)] if _blank(getattr(item, name))]
    problems += _type_problems(item)
    wrongly_typed = {p.split(":", 1)[0] for p in problems}

    def ok(name: str) -> bool:
        return name not in wrongly_typed and getattr(item, name, None) is not None

    for name in ("observed_at", "fetched_at"):
        if ok(name) and getattr(item, name).utcoffset() is None:
            problems.append(f"{name}: naive datetime, expected UTC")
    for name in ("rating",):
        if ok(name) and not 0 <= getattr(item, name) <= 5:
            problems.append(f"{name}: {getattr(item, name)} outside 0..5")
    for name in ("stock_qty", "review_count", "sale_count", "body_bytes"):
        if ok(name) and getattr(item, name) < 0:
            problems.append(f"{name}: negative ({getattr(item, name)})")

    if isinstance(item, ListingObservation):
        problems += _listing_problems(item, ok)
    elif isinstance(item, SellerObservation):
        problems += _identifier_problem("inn", item.inn, valid_inn) if ok("inn") else []
        problems += _identifier_problem("ogrn", item.ogrn, valid_ogrn) if ok("ogrn") else []
    elif isinstance(item, SearchHit):
        problems += [f"{name}: {getattr(item, name)} < 1" for name in ("page", "position")
                     if ok(name) and getattr(item, name) < 1]
    elif isinstance(item, FetchRecord):
        if ok("outcome") and item.outcome not in FETCH_OUTCOMES:
            problems.append(f"outcome: {item.outcome!r} not one of {sorted(FETCH_OUTCOMES)}")
        if ok("status") and not 100 <= item.status <= 599:
            problems.append(f"status: {item.status} is not an HTTP status")
    return problems


def _listing_problems(item: ListingObservation, ok: typing.Callable[[str], bool]) -> list[str]:
    problems = []
    if ok("listing_status") and item.listing_status not in LISTING_STATUSES:
        problems.append(f"listing_status: {item.listing_status!r} not one of {sorted(LISTING_STATUSES)}")
    if item.listing_status == "listed" and _blank(item.title):
        problems.append("title: missing on a listed product")
    for name in ("price", "price_before_discount"):
        value = getattr(item, name)
        if not ok(name):
            continue
        if not value.is_finite():
            problems.append(f"{name}: {value} is not a number")
        elif not 0 < value < MAX_PLAUSIBLE_PRICE:
            problems.append(f"{name}: {value} roubles outside (0, {MAX_PLAUSIBLE_PRICE}), suspect")
    if (ok("price") and ok("price_before_discount") and item.price.is_finite()
            and item.price_before_discount.is_finite() and item.price_before_discount < item.price):
        problems.append(
            f"price_before_discount: {item.price_before_discount} below price {item.price}, suspect"
        )
    return problems


def _identifier_problem(name: str, value: str, check: typing.Callable[[str], str | None]) -> list[str]:
    """An ИНН/ОГРН that is not exactly a valid number (length and control digits, ``values.identifiers``)."""
    if check(value) == value:
        return []
    return [f"{name}: {value!r} is not a valid {name.upper()} (length or control digits)"]


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


@cache
def _allowed_types(cls: type) -> dict[str, tuple[type, ...]]:
    """Field name -> runtime types a value may have (None included for ``X | None``)."""
    allowed = {}
    for name, hint in typing.get_type_hints(cls).items():
        union = typing.get_origin(hint) in (typing.Union, types.UnionType)
        options = typing.get_args(hint) if union else (hint,)
        runtime = tuple(typing.get_origin(option) or option for option in options)
        allowed[name] = runtime + ((int,) if float in runtime else ())
    return allowed


def _type_problems(item: Any) -> list[str]:
    problems = []
    allowed = _allowed_types(type(item))
    for f in fields(item):
        value = getattr(item, f.name)
        types_ok = allowed[f.name]
        if value is None:
            if type(None) not in types_ok and f.name not in REQUIRED_FIELDS[type(item)]:
                problems.append(f"{f.name}: missing")
            continue
        if (isinstance(value, bool) and bool not in types_ok) or not isinstance(value, types_ok):
            names = " | ".join(t.__name__ for t in types_ok if t is not type(None))
            problems.append(f"{f.name}: {type(value).__name__} {value!r:.40}, expected {names}")
    return problems


# -- run health -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunHealth:
    """Verdict on one run."""

    status: Literal["ok", "degraded", "failed"]
    """ok, degraded (data written but something looks off) or failed (do not trust this run)."""
    reasons: list[str]
    """Why the status is not ok, one human-readable line each (empty when ok)."""


def assess_run(
    stats: Mapping[str, Any],
    history: list[Mapping[str, Any]] | None,
    expectations: Mapping[str, Any],
    thresholds: HealthThresholds | None = None,
) -> RunHealth:
    """Judge a run from its counters.

    ``stats`` keys (missing counters count as 0):
      ``item_count`` rows produced; ``invalid_item_count`` of those with ``validate_item`` problems;
      ``request_count`` responses and failures; ``blocked_count`` of those recognised as blocks;
      ``error_count`` failed or malformed responses; ``items_per_term`` {term: items found};
      ``empty_search_terms`` terms whose search page answered 200 OK with zero products.
    ``history``: earlier runs' stats of the same marketplace, oldest first; runs with ``status`` "failed"
      are left out of the per-term median.
      Expectation counters: ``listed_count`` listing observations with status listed, ``priced_listed_count``
      of those with a price, ``seller_listed_count`` of those with a seller id, ``search_page_count`` search
      pages answered OK, ``search_pages_with_hits`` of those with at least one product.
    ``expectations``: the marketplace's own assertions (``EXPECTATION_KEYS``, each optional; an unknown key
      raises ValueError so a misspelt expectation cannot silently never fire).
    """
    unknown = sorted(set(expectations) - set(EXPECTATION_KEYS))
    if unknown:
        raise ValueError(f"unknown expectation(s) {unknown}; known: {sorted(EXPECTATION_KEYS)}")
    limits = thresholds or HealthThresholds()
    failed: list[str] = []
    degraded: list[str] = []
    items = _count(stats, "item_count")
    requests = _count(stats, "request_count")

    if items == 0:
        failed.append("zero items: nothing usable came back")
    else:
        valid_share = 1 - _count(stats, "invalid_item_count") / items
        if valid_share < limits.min_valid_share:
            failed.append(
                f"valid share {valid_share:.0%} < {limits.min_valid_share:.0%} (RUN_MIN_VALID_SHARE)"
            )
    if "min_items" in expectations and 0 < items < expectations["min_items"]:
        failed.append(f"item count {items} < expected minimum {expectations['min_items']} (min_items)")
    if "max_items" in expectations and items > expectations["max_items"]:
        failed.append(f"item count {items} > expected maximum {expectations['max_items']} (max_items)")
    degraded_shares = _share_problems(stats, expectations)

    if requests:
        blocked_share = _count(stats, "blocked_count") / requests
        if blocked_share > limits.max_blocked_share:
            degraded.append(f"blocked share {blocked_share:.0%} > {limits.max_blocked_share:.0%} "
                            "(RUN_MAX_BLOCKED_SHARE)")
    errors = _count(stats, "error_count")
    if errors > limits.max_errors:
        degraded.append(f"error count {errors} > {limits.max_errors} (RUN_MAX_ERRORS)")
    for term in stats.get("empty_search_terms") or ():
        degraded.append(f"term {term!r}: search answered 200 OK with zero products, possible layout drift")
    degraded += _term_drops(stats.get("items_per_term") or {}, history or [], limits)
    degraded += degraded_shares

    if failed:
        return RunHealth("failed", failed + degraded)
    return RunHealth("degraded" if degraded else "ok", degraded)


EXPECTATION_KEYS: dict[str, str] = {
    "min_items": "fewest rows (all item types) a run may produce; fewer and the run failed",
    "max_items": "most rows a run may produce (a paginator gone round in circles); more and the run failed",
    "min_priced_share": "least share of listed observations with a price; below and the run is degraded",
    "min_search_hit_share": "least share of search pages answered OK that list at least one product; below "
                            "and the run is degraded",
    "min_seller_share": "least share of listed observations with a seller id; below and the run is degraded",
}
"""What a marketplace may declare in its spider's ``expectations`` (or ``RUN_EXPECTATIONS``)."""

# expectation -> (numerator counter, denominator counter, what the share is of)
SHARE_EXPECTATIONS: dict[str, tuple[str, str, str]] = {
    "min_priced_share": ("priced_listed_count", "listed_count", "listed observations with a price"),
    "min_search_hit_share": ("search_pages_with_hits", "search_page_count", "search pages with hits"),
    "min_seller_share": ("seller_listed_count", "listed_count", "listed observations with a seller"),
}


def _share_problems(stats: Mapping[str, Any], expectations: Mapping[str, Any]) -> list[str]:
    """Declared minimum shares the run fell below (a share with a zero denominator is not judged)."""
    problems = []
    for key, (part, whole, what) in SHARE_EXPECTATIONS.items():
        if key not in expectations or not _count(stats, whole):
            continue
        share = _count(stats, part) / _count(stats, whole)
        minimum = float(expectations[key])
        if share < minimum:
            problems.append(f"{what}: {share:.0%} ({_count(stats, part)} of {_count(stats, whole)}) < "
                            f"expected minimum {minimum:.0%} ({key})")
    return problems


def merged_expectations(declared: Mapping[str, Any], override: Any) -> dict[str, Any]:
    """The spider's declared expectations with the ``RUN_EXPECTATIONS`` setting (a mapping or a JSON object
    string) laid over them; unknown keys raise ValueError."""
    if isinstance(override, str):
        override = json.loads(override) if override.strip() else {}
    if override is not None and not isinstance(override, Mapping):
        raise ValueError(f"RUN_EXPECTATIONS must be a JSON object, got {override!r}")
    merged = {**declared, **(override or {})}
    unknown = sorted(set(merged) - set(EXPECTATION_KEYS))
    if unknown:
        raise ValueError(f"unknown expectation(s) {unknown}; known: {sorted(EXPECTATION_KEYS)}")
    return merged


def _term_drops(
    current: Mapping[str, int], history: list[Mapping[str, Any]], limits: HealthThresholds
) -> list[str]:
    """Terms whose item count fell below ``min_term_ratio`` of their median over recent runs."""
    usable = [run for run in history if run.get("status") != "failed"][-limits.history_runs:]
    reasons = []
    for term, count in current.items():
        past = [run["items_per_term"][term] for run in usable if term in (run.get("items_per_term") or {})]
        if len(past) < max(limits.min_history_runs, 1):
            continue
        median = statistics.median(past)
        if median > 0 and count < limits.min_term_ratio * median:
            reasons.append(f"term {term!r}: {count} items vs median {median:g} of the last {len(past)} runs "
                           f"(< {limits.min_term_ratio:.0%}, RUN_MIN_TERM_RATIO)")
    return reasons


def _count(stats: Mapping[str, Any], key: str) -> int:
    return int(stats.get(key) or 0)
