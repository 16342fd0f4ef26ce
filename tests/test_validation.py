"""validate_item and assess_run, table-driven: one row per thing that can be wrong."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from sample_files import fixtures_of
from scrapy.settings import Settings

from marketplace_spiders.items import (
    FetchRecord,
    ListingContent,
    ListingObservation,
    SearchHit,
    SellerObservation,
)
from marketplace_spiders.marketplaces.ozon.spider import OzonSpider
from marketplace_spiders.marketplaces.wildberries.spider import WildberriesSpider
from marketplace_spiders.marketplaces.yandex_market.spider import YandexMarketSpider
from marketplace_spiders.validation import (
    EXPECTATION_KEYS,
    HealthThresholds,
    RunHealth,
    assess_run,
    merged_expectations,
    validate_item,
)

AT = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[1]

LISTING = ListingObservation(
    marketplace="wildberries", product_id="179790764", url="https://www.wildberries.ru/catalog/179790764/detail.aspx",
    title="Бальзам «Кымгансан»", price=Decimal("450.00"), price_before_discount=Decimal("1290.00"),
    in_stock=True, stock_qty=12, rating=4.8, review_count=31, observed_at=AT,
)
SELLER = SellerObservation(marketplace="wildberries", seller_id="350748670", inn="7707083893",
                           ogrn="1027700132195", rating=4.5, review_count=10, sale_count=0, observed_at=AT)
HIT = SearchHit(marketplace="ozon", term="кымгансан", page=1, position=3, product_id="1998926903",
                observed_at=AT)
FETCH = FetchRecord(marketplace="ozon", url="https://www.ozon.ru/", page_type="search", outcome="blocked",
                    status=403, fetched_at=AT, body_bytes=3211)
CONTENT = ListingContent(marketplace="wildberries", product_id="179790764")


def problem_fields(item: object) -> set[str]:
    return {problem.split(":", 1)[0] for problem in validate_item(item)}


@pytest.mark.parametrize("item", [LISTING, SELLER, HIT, FETCH, CONTENT],
                         ids=["listing", "seller", "search_hit", "fetch", "content"])
def test_a_plausible_item_has_no_problems(item: object):
    assert validate_item(item) == []


# (changes to LISTING, fields flagged)
LISTING_ROWS = [
    pytest.param({"product_id": ""}, {"product_id"}, id="empty_product_id"),
    pytest.param({"marketplace": "  "}, {"marketplace"}, id="blank_marketplace"),
    pytest.param({"url": None}, {"url"}, id="url_none"),
    pytest.param({"observed_at": None}, {"observed_at"}, id="no_observed_at"),
    pytest.param({"observed_at": datetime(2026, 11, 1, 6, 0)}, {"observed_at"}, id="naive_observed_at"),
    pytest.param({"title": None}, {"title"}, id="listed_without_title"),
    pytest.param({"title": None, "listing_status": "not_found", "price": None, "price_before_discount": None},
                 set(), id="not_found_needs_no_title"),
    pytest.param({"listing_status": "gone"}, {"listing_status"}, id="unknown_listing_status"),
    pytest.param({"price": Decimal(0)}, {"price"}, id="price_zero"),
    pytest.param({"price": Decimal("-1")}, {"price"}, id="price_negative"),
    pytest.param({"price": Decimal("10000000"), "price_before_discount": None}, {"price"},
                 id="price_ten_million_kopecks_read_as_roubles"),
    pytest.param({"price": Decimal("9999999.99"), "price_before_discount": None}, set(),
                 id="price_just_below_ten_million"),
    pytest.param({"price": Decimal("NaN")}, {"price"}, id="price_nan"),
    pytest.param({"price_before_discount": Decimal("449.99")}, {"price_before_discount"},
                 id="price_before_discount_below_price"),
    pytest.param({"price_before_discount": Decimal("450.00")}, set(), id="price_before_discount_equal_price"),
    pytest.param({"price": 450.0}, {"price"}, id="price_float_not_decimal"),
    pytest.param({"rating": 5.1}, {"rating"}, id="rating_above_five"),
    pytest.param({"rating": -0.1}, {"rating"}, id="rating_negative"),
    pytest.param({"rating": 5}, set(), id="rating_int_five"),
    pytest.param({"rating": 0.0}, set(), id="rating_zero"),
    pytest.param({"rating": float("nan")}, {"rating"}, id="rating_nan"),
    pytest.param({"rating": "4.8"}, {"rating"}, id="rating_string"),
    pytest.param({"stock_qty": -1}, {"stock_qty"}, id="negative_stock"),
    pytest.param({"stock_qty": 0, "in_stock": False}, set(), id="out_of_stock"),
    pytest.param({"stock_qty": True}, {"stock_qty"}, id="stock_bool_not_int"),
    pytest.param({"review_count": -3}, {"review_count"}, id="negative_review_count"),
    pytest.param({"product_id": 179790764}, {"product_id"}, id="product_id_int_not_text"),
    pytest.param({"currency": None}, {"currency"}, id="currency_none"),
    pytest.param({"in_stock": "yes"}, {"in_stock"}, id="in_stock_string"),
    pytest.param({"product_id": "", "price": Decimal(0), "rating": 7.0}, {"product_id", "price", "rating"},
                 id="several_problems_at_once"),
]


@pytest.mark.parametrize(("changes", "flagged"), LISTING_ROWS)
def test_listing_observation(changes: dict, flagged: set[str]):
    assert problem_fields(replace(LISTING, **changes)) == flagged


# (item, fields flagged)
OTHER_ROWS = [
    pytest.param(replace(SELLER, inn="770708389"), {"inn"}, id="inn_nine_digits"),
    pytest.param(replace(SELLER, inn="254000000076"), set(), id="inn_twelve_digits_individual"),
    pytest.param(replace(SELLER, inn="770708389312"), {"inn"}, id="inn_twelve_digits_bad_control_digits"),
    pytest.param(replace(SELLER, inn="7707083894"), {"inn"}, id="inn_ten_digits_bad_control_digit"),
    pytest.param(replace(SELLER, ogrn="1027700132196"), {"ogrn"}, id="ogrn_bad_control_digit"),
    pytest.param(replace(SELLER, inn="77070838 93"), {"inn"}, id="inn_with_space"),
    pytest.param(replace(SELLER, inn="７７０７０８３８９３"), {"inn"}, id="inn_fullwidth_digits"),
    pytest.param(replace(SELLER, ogrn="102770013219"), {"ogrn"}, id="ogrn_twelve_digits"),
    pytest.param(replace(SELLER, ogrn="304500116000157"), set(), id="ogrnip_fifteen_digits"),
    pytest.param(replace(SELLER, ogrn="10277001321950"), {"ogrn"}, id="ogrn_fourteen_digits"),
    pytest.param(replace(SELLER, inn=7707083893), {"inn"}, id="inn_int_not_text"),
    pytest.param(replace(SELLER, seller_id=""), {"seller_id"}, id="seller_without_id"),
    pytest.param(replace(SELLER, rating=6.0, sale_count=-1), {"rating", "sale_count"}, id="seller_ranges"),
    pytest.param(replace(HIT, page=0, position=0), {"page", "position"}, id="search_hit_zero_based"),
    pytest.param(replace(HIT, term=""), {"term"}, id="search_hit_without_term"),
    pytest.param(replace(FETCH, outcome="weird"), {"outcome"}, id="fetch_unknown_outcome"),
    pytest.param(replace(FETCH, status=999), {"status"}, id="fetch_status_not_http"),
    pytest.param(replace(FETCH, status=None), set(), id="fetch_without_response"),
    pytest.param(replace(FETCH, body_bytes=-1), {"body_bytes"}, id="fetch_negative_size"),
    pytest.param(replace(FETCH, fetched_at=datetime(2026, 1, 1)), {"fetched_at"}, id="fetch_naive_time"),
    pytest.param(replace(CONTENT, characteristics=None), {"characteristics"},
                 id="content_characteristics_none"),
    pytest.param(replace(CONTENT, product_id=None), {"product_id"}, id="content_without_product_id"),
]


@pytest.mark.parametrize(("item", "flagged"), OTHER_ROWS)
def test_other_items(item: object, flagged: set[str]):
    assert problem_fields(item) == flagged


def test_problem_text_names_value_and_limit():
    problems = validate_item(replace(LISTING, price=Decimal("12500000"), price_before_discount=None))

    assert problems == ["price: 12500000 roubles outside (0, 10000000), suspect"]


def test_unknown_item_type():
    assert validate_item({"marketplace": "ozon"}) == ["item: unknown item type dict"]


# -- assess_run ----------------------------------------------------------------------------------------
HEALTHY = {"item_count": 100, "invalid_item_count": 0, "request_count": 50, "blocked_count": 0,
           "error_count": 0, "items_per_term": {"кымгансан": 40, "пхеньян": 60}, "empty_search_terms": [],
           "listed_count": 40, "priced_listed_count": 38, "seller_listed_count": 40, "search_page_count": 10,
           "search_pages_with_hits": 9}
HISTORY = [{"status": "ok", "items_per_term": {"кымгансан": n, "пхеньян": 60}} for n in (38, 40, 44, 41, 39)]

# (changes to HEALTHY, history, expectations, status, words every reason must contain — one entry per reason)
RUN_ROWS = [
    pytest.param({}, HISTORY, {}, "ok", [], id="healthy"),
    pytest.param({}, None, {}, "ok", [], id="healthy_first_run_no_history"),
    pytest.param({"item_count": 0, "items_per_term": {}}, HISTORY, {}, "failed", ["zero items"],
                 id="zero_items"),
    pytest.param({"invalid_item_count": 11}, HISTORY, {}, "failed", ["valid share 89%"],
                 id="valid_share_below_ninety_percent"),
    pytest.param({"invalid_item_count": 10}, HISTORY, {}, "ok", [], id="valid_share_exactly_ninety_percent"),
    pytest.param({"blocked_count": 1}, HISTORY, {}, "degraded", ["blocked share 2% > 0%"],
                 id="one_blocked_response_degrades_by_default"),
    pytest.param({"error_count": 2}, HISTORY, {}, "degraded", ["error count 2"], id="errors"),
    pytest.param({"items_per_term": {"кымгансан": 11, "пхеньян": 60}}, HISTORY, {}, "degraded",
                 ["'кымгансан': 11 items vs median 40"], id="term_far_below_its_median"),
    pytest.param({"items_per_term": {"кымгансан": 12, "пхеньян": 60}}, HISTORY, {}, "ok", [],
                 id="term_at_thirty_percent_of_median"),
    pytest.param({"items_per_term": {"кымгансан": 0, "пхеньян": 60}}, HISTORY[:2], {}, "ok", [],
                 id="term_drop_ignored_with_too_little_history"),
    pytest.param({"items_per_term": {"кымгансан": 5, "пхеньян": 60}},
                 HISTORY + [{"status": "failed", "items_per_term": {"кымгансан": 0}}] * 3, {}, "degraded",
                 ["'кымгансан': 5 items vs median 40 of the last 5 runs"],
                 id="failed_runs_left_out_of_median"),
    pytest.param({"items_per_term": {"новый": 1, "пхеньян": 60}}, HISTORY, {}, "ok", [],
                 id="new_term_without_history"),
    pytest.param({"empty_search_terms": ["пхеньян"], "items_per_term": {"кымгансан": 40, "пхеньян": 0}},
                 HISTORY, {}, "degraded",
                 ["'пхеньян': search answered 200 OK with zero products, possible layout drift",
                  "'пхеньян': 0 items vs median 60"],
                 id="search_200_but_zero_products"),
    pytest.param({"empty_search_terms": ["новый"]}, None, {}, "degraded",
                 ["'новый': search answered 200 OK with zero products"],
                 id="search_200_but_zero_products_without_history"),
    pytest.param({}, HISTORY, {"min_items": 150}, "failed", ["item count 100 < expected minimum 150"],
                 id="below_expected_minimum"),
    pytest.param({}, HISTORY, {"max_items": 99}, "failed", ["item count 100 > expected maximum 99"],
                 id="above_expected_maximum"),
    pytest.param({"item_count": 0, "items_per_term": {}, "blocked_count": 50}, HISTORY, {"min_items": 10},
                 "failed", ["zero items", "blocked share 100%"], id="all_blocked_fails_and_says_why"),
    # declared expectations, one row each firing and one at the boundary
    pytest.param({}, HISTORY, {"min_items": 100, "max_items": 100}, "ok", [], id="item_count_at_both_limits"),
    pytest.param({}, HISTORY, {"min_priced_share": 0.96}, "degraded",
                 ["listed observations with a price: 95% (38 of 40) < expected minimum 96% (min_priced_share)"],
                 id="priced_share_below_expected"),
    pytest.param({}, HISTORY, {"min_priced_share": 0.95}, "ok", [], id="priced_share_exactly_expected"),
    pytest.param({"search_pages_with_hits": 4}, HISTORY, {"min_search_hit_share": 0.5}, "degraded",
                 ["search pages with hits: 40% (4 of 10) < expected minimum 50% (min_search_hit_share)"],
                 id="search_hit_share_below_expected"),
    pytest.param({"search_pages_with_hits": 5}, HISTORY, {"min_search_hit_share": 0.5}, "ok", [],
                 id="search_hit_share_exactly_expected"),
    pytest.param({"seller_listed_count": 10}, HISTORY, {"min_seller_share": 0.9}, "degraded",
                 ["listed observations with a seller: 25% (10 of 40) < expected minimum 90% (min_seller_share)"],
                 id="seller_share_below_expected"),
    pytest.param({"listed_count": 0, "priced_listed_count": 0, "seller_listed_count": 0, "search_page_count": 0,
                  "search_pages_with_hits": 0}, HISTORY,
                 {"min_priced_share": 1, "min_seller_share": 1, "min_search_hit_share": 1}, "ok", [],
                 id="share_with_nothing_to_count_is_not_judged"),
    pytest.param({"priced_listed_count": 0, "seller_listed_count": 0, "search_pages_with_hits": 0}, HISTORY,
                 {"min_priced_share": 0.5, "min_seller_share": 0.5, "min_search_hit_share": 0.5, "max_items": 50},
                 "failed", ["item count 100 > expected maximum 50 (max_items)", "price: 0% (0 of 40)",
                            "search pages with hits: 0% (0 of 10)", "seller: 0% (0 of 40)"],
                 id="every_expectation_firing_at_once_each_says_why"),
]


@pytest.mark.parametrize(("changes", "history", "expectations", "status", "reasons"), RUN_ROWS)
def test_assess_run(changes: dict, history: list | None, expectations: dict, status: str, reasons: list[str]):
    health = assess_run({**HEALTHY, **changes}, history, expectations)

    assert health.status == status
    assert len(health.reasons) == len(reasons)
    for reason, words in zip(health.reasons, reasons, strict=True):
        assert words in reason


def test_assess_run_counts_missing_counters_as_zero():
    assert assess_run({}, None, {}) == RunHealth("failed", ["zero items: nothing usable came back"])


def test_thresholds_from_scrapy_settings():
    settings = Settings({"RUN_MIN_VALID_SHARE": "0.5", "RUN_MAX_ERRORS": "3", "RUN_HISTORY_RUNS": 2})

    thresholds = HealthThresholds.from_settings(settings)

    assert thresholds == HealthThresholds(min_valid_share=0.5, max_errors=3, history_runs=2)
    assert HealthThresholds.from_settings(Settings()) == HealthThresholds()


@pytest.mark.parametrize(("blocked", "status"), [(11, "degraded"), (10, "ok")])
def test_blocked_share_limit_is_a_setting(blocked: int, status: str):
    limits = HealthThresholds.from_settings(Settings({"RUN_MAX_BLOCKED_SHARE": "0.2"}))
    assert assess_run({**HEALTHY, "blocked_count": blocked}, HISTORY, {}, limits).status == status


def test_max_blocked_share_has_one_default_the_one_the_project_settings_show():
    """settings.py said 0.0 and HealthThresholds 0.2: a crawl and a direct assess_run judged runs differently."""
    from scrapy.utils.project import get_project_settings

    assert HealthThresholds().max_blocked_share == 0.0
    assert get_project_settings().getfloat("RUN_MAX_BLOCKED_SHARE") == 0.0
    assert HealthThresholds.from_settings(get_project_settings()) == HealthThresholds()


def test_a_bad_threshold_is_an_error_naming_the_setting():
    with pytest.raises(ValueError, match=r"^RUN_MAX_ERRORS: is not an integer \(got 'many'"):
        HealthThresholds.from_settings(Settings({"RUN_MAX_ERRORS": "many"}))
    with pytest.raises(ValueError, match=r"^RUN_MIN_VALID_SHARE: must be between 0 and 1"):
        HealthThresholds.from_settings(Settings({"RUN_MIN_VALID_SHARE": "90"}))


def test_thresholds_change_the_verdict():
    stats = {**HEALTHY, "invalid_item_count": 40, "error_count": 3,
             "items_per_term": {"кымгансан": 15, "пхеньян": 60}}
    loose = HealthThresholds.from_settings(
        {"RUN_MIN_VALID_SHARE": 0.5, "RUN_MAX_ERRORS": 3, "RUN_MIN_TERM_RATIO": 0.25}
    )

    assert assess_run(stats, HISTORY, {}).status == "failed"
    assert assess_run(stats, HISTORY, {}, loose) == RunHealth("ok", [])


def test_unknown_expectation_is_an_error_not_silently_ignored():
    with pytest.raises(ValueError, match="min_price_share"):
        assess_run(HEALTHY, None, {"min_price_share": 0.9})


@pytest.mark.parametrize(("override", "merged"), [
    pytest.param(None, {"min_items": 5, "min_priced_share": 0.5}, id="no_setting"),
    pytest.param("", {"min_items": 5, "min_priced_share": 0.5}, id="empty_setting"),
    pytest.param('{"min_priced_share": 0.99}', {"min_items": 5, "min_priced_share": 0.99}, id="json_string"),
    pytest.param({"max_items": 7}, {"min_items": 5, "min_priced_share": 0.5, "max_items": 7}, id="mapping"),
])
def test_run_expectations_setting_is_laid_over_the_declared_ones(override, merged):
    assert merged_expectations({"min_items": 5, "min_priced_share": 0.5}, override) == merged


@pytest.mark.parametrize("override", ['{"min_prices": 1}', "[1, 2]", {"typo": 1}])
def test_run_expectations_setting_that_is_not_a_known_object_is_an_error(override):
    with pytest.raises(ValueError):
        merged_expectations({}, override)


@pytest.mark.parametrize("spider_class", [WildberriesSpider, OzonSpider, YandexMarketSpider],
                         ids=lambda cls: cls.name)
def test_every_marketplace_declares_every_expectation(spider_class):
    assert set(spider_class.expectations) == set(EXPECTATION_KEYS)
    assert merged_expectations(spider_class.expectations, None) == spider_class.expectations


# -- declared expectations in whole replayed runs (real spiders, real DuckDB files) -------------------------
def _replay(marketplace: str, run: Path, db: Path, *settings: str) -> int:
    """The exit code of ``scrapy crawl`` replaying ``run`` (a failed run exits non-zero)."""
    command = [str(Path(sys.executable).with_name("scrapy")), "crawl", marketplace, "-s", f"REPLAY_DIR={run}",
               "-s", f"DUCKDB_PATH={db}", "-s", "LOG_LEVEL=WARNING"]
    for setting in settings:
        command += ["-s", setting]
    result = subprocess.run(command, cwd=ROOT, text=True, capture_output=True, check=False)
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    return result.returncode


def _last_run(db: Path) -> tuple[str, str | None]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("SELECT status, status_reasons FROM crawl_runs ORDER BY started_at DESC LIMIT 1").fetchone()


@pytest.mark.parametrize(("marketplace", "runs", "tightened", "status", "reason"), [
    pytest.param("wildberries", ("run-1", "run-2"), {"min_priced_share": 0.9}, "degraded",
                 "listed observations with a price: 80% (4 of 5) < expected minimum 90% (min_priced_share)",
                 id="wb_sold_out_card_below_a_tightened_priced_share"),
    pytest.param("wildberries", ("run-1", "run-2", "run-3"), {"min_search_hit_share": 0.9}, "degraded",
                 "search pages with hits: 67% (2 of 3) < expected minimum 90% (min_search_hit_share)",
                 id="wb_term_without_hits_below_a_tightened_search_hit_share"),
    pytest.param("yandex_market", ("run-1",), {"max_items": 5}, "failed",
                 "item count 8 > expected maximum 5 (max_items)", id="ym_more_rows_than_a_tightened_maximum"),
    pytest.param("yandex_market", ("run-1",), {"min_items": 9}, "failed",
                 "item count 8 < expected minimum 9 (min_items)", id="ym_fewer_rows_than_a_tightened_minimum"),
])
def test_replayed_run_outside_a_tightened_expectation_says_so_in_crawl_runs(
    tmp_path, marketplace, runs, tightened, status, reason
):
    db = tmp_path / "m.duckdb"
    timeline = fixtures_of(marketplace) / "timeline"
    for run in runs[:-1]:
        _replay(marketplace, timeline / run, db)

    code = _replay(marketplace, timeline / runs[-1], db, f"RUN_EXPECTATIONS={json.dumps(tightened)}")

    got_status, got_reasons = _last_run(db)
    assert got_status == status
    assert (code != 0) is (status == "failed")
    assert reason in (got_reasons or "").split("; ")


def test_the_same_replay_with_the_declared_expectations_meets_them(tmp_path):
    """The declared values pass the bundled timelines: no reason names an expectation."""
    for marketplace in ("wildberries", "ozon", "yandex_market"):
        db = tmp_path / f"{marketplace}.duckdb"
        for run in sorted((fixtures_of(marketplace) / "timeline").glob("run-*")):
            _replay(marketplace, run, db)
            _, reasons = _last_run(db)
            assert not any(f"({key})" in (reasons or "") for key in EXPECTATION_KEYS), (run, reasons)


def test_misspelt_run_expectation_stops_the_crawl_before_it_fetches(tmp_path):
    db = tmp_path / "m.duckdb"
    command = [str(Path(sys.executable).with_name("scrapy")), "crawl", "yandex_market",
               "-s", f"REPLAY_DIR={fixtures_of('yandex_market') / 'timeline' / 'run-1'}", "-s", f"DUCKDB_PATH={db}",
               "-s", 'RUN_EXPECTATIONS={"min_price_share": 0.9}']

    result = subprocess.run(command, cwd=ROOT, text=True, capture_output=True, check=False)

    assert "unknown expectation(s) ['min_price_share']" in result.stderr
    assert "item_scraped_count" not in result.stderr
