"""The bundled Yandex Market timeline replayed through the real spider (browser pages served from the recording)."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest
from sample_files import FIXTURES

from marketplace_spiders import demo

RUNS = FIXTURES / "yandex_market" / "timeline"


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("ym") / "ym.duckdb"
    for run in ("run-1", "run-2"):
        demo.replay("yandex_market", RUNS / run, path)
    con = duckdb.connect(str(path), read_only=True)
    yield con
    con.close()


def rows(con, sql):
    return con.execute(sql).fetchall()


def test_runs_are_ok(db):
    assert rows(db, "SELECT strftime(started_at, '%Y-%m-%d'), status FROM crawl_runs ORDER BY started_at") == [
        ("2026-11-03", "ok"), ("2026-11-10", "ok")]


def test_price_change(db):
    assert rows(db, "SELECT old_price, new_price FROM price_changes WHERE product_id = '763970960'") == [
        (Decimal("6990.00"), Decimal("6290.00"))]


def test_listing_goes_out_of_stock(db):
    got = rows(db, "SELECT observed_at::DATE::VARCHAR, in_stock FROM listing_observations "
                   "WHERE product_id = '1130069667' ORDER BY observed_at")
    assert got == [("2026-11-03", True), ("2026-11-10", False)]


def test_new_listing_found_by_search_then_opened(db):
    assert rows(db, "SELECT first_seen::DATE::VARCHAR FROM listings WHERE product_id = '1772855866'") == [
        ("2026-11-10",)]
    assert rows(db, "SELECT position FROM search_hits WHERE product_id = '1772855866'") == [(3,)]


def test_sellers(db):
    assert rows(db, "SELECT seller_id, name FROM sellers WHERE marketplace = 'yandex_market' ORDER BY 1") == [
        ("95550003", "Корё Маркет"), ("95550004", "Женьшень Кэсон")]


def test_product_pages_are_the_price_source(db):
    assert rows(db, "SELECT DISTINCT source FROM listing_observations") == [("product_page",)]
