"""The bundled Yandex Market timeline (fixtures/timeline, built by its derive.py) replayed through
the real spider (browser pages served from the recording) into a real DuckDB file, checked in SQL: one assertion
per field."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest
from sample_files import observed, replay_timeline, rows

SERUM, TEA, ROYAL = "763970960", "1130069667", "1772855866"


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    con = duckdb.connect(str(replay_timeline("yandex_market", tmp_path_factory.mktemp("ym"))), read_only=True)
    yield con
    con.close()


def test_runs_are_ok_at_the_recorded_times(db):
    got = rows(db, "SELECT strftime(started_at, '%Y-%m-%d %H:%M'), status FROM crawl_runs ORDER BY started_at")
    assert got == [("2026-11-03 08:00", "ok"), ("2026-11-10 08:00", "ok")]


def test_price_change(db):
    assert observed(db, "price", SERUM) == [("2026-11-03", Decimal("6990.00")), ("2026-11-10", Decimal("6290.00"))]
    assert rows(db, "SELECT old_price, new_price FROM price_changes WHERE product_id = ?", SERUM) == [
        (Decimal("6990.00"), Decimal("6290.00"))]


def test_only_the_serum_changed_price(db):
    assert rows(db, "SELECT product_id FROM price_changes") == [(SERUM,)]


def test_price_before_discount(db):
    assert observed(db, "price_before_discount", SERUM) == [("2026-11-03", Decimal("8990.00")),
                                                            ("2026-11-10", Decimal("8990.00"))]


def test_listing_goes_out_of_stock(db):
    assert observed(db, "in_stock", TEA) == [("2026-11-03", True), ("2026-11-10", False)]
    assert rows(db, "SELECT status FROM current_listings WHERE product_id = ?", TEA) == [("out_of_stock",)]


def test_new_listing_first_seen(db):
    assert rows(db, "SELECT first_seen::DATE::VARCHAR FROM listings WHERE product_id = ?", ROYAL) == [
        ("2026-11-10",)]


def test_search_positions(db):
    def hits(day):
        return rows(db, "SELECT product_id, position FROM search_hits WHERE term = 'Кымдан-2' "
                        "AND observed_at::DATE = ?::DATE ORDER BY position", day)

    assert hits("2026-11-03") == [(SERUM, 1), (TEA, 2)]
    assert hits("2026-11-10") == [(SERUM, 1), (TEA, 2), (ROYAL, 3)]


def test_search_hit_names_are_the_listing_titles(db):
    got = rows(db, "SELECT DISTINCT product_id, product_name FROM search_hits ORDER BY product_id")
    assert got == [(TEA, "Кэсонский женьшень чай гранулированный, 30 пакетиков"),
                   (ROYAL, "Royal Blood-Fresh капсулы 100 шт"),
                   (SERUM, "Кымдан-2 сыворотка для лица, 10 ампул по 5 мл")]


def test_seller_names(db):
    got = rows(db, "SELECT seller_id, name FROM sellers WHERE marketplace = 'yandex_market' ORDER BY seller_id")
    assert got == [("95550003", "Корё Маркет"), ("95550004", "Женьшень Кэсон")]


def test_seller_ratings(db):
    got = rows(db, "SELECT DISTINCT seller_id, rating, review_count FROM seller_observations ORDER BY seller_id")
    assert got == [("95550003", 4.2, 35), ("95550004", 4.7, 118)]


def test_listing_carries_its_seller(db):
    got = rows(db, "SELECT product_id, seller_id FROM current_listings ORDER BY product_id")
    assert got == [(TEA, "95550004"), (ROYAL, "95550003"), (SERUM, "95550003")]


def test_url_carries_the_listing_sku(db):
    got = rows(db, "SELECT product_id, url FROM listings ORDER BY product_id")
    assert got == [(TEA, "https://market.yandex.ru/product/1130069667?sku=105550003002"),
                   (ROYAL, "https://market.yandex.ru/product/1772855866?sku=105550003003"),
                   (SERUM, "https://market.yandex.ru/product/763970960?sku=105550003001")]


def test_brand(db):
    got = rows(db, "SELECT product_id, brand FROM current_listings ORDER BY product_id")
    assert got == [(TEA, "Кэсон Корё Инсам"), (ROYAL, "Pugang"), (SERUM, "Pugang")]


def test_category(db):
    got = rows(db, "SELECT product_id, category FROM current_listings ORDER BY product_id")
    assert got == [(TEA, "Травяной чай"), (ROYAL, "Витамины и БАДы"), (SERUM, "Сыворотки для лица")]


def test_country_named_in_the_description_not_in_characteristics(db):
    # The product template (krein15 ym_card.html) has no fullSpecs collection: no country_of_origin column
    # value; the seller's description names the country.
    assert rows(db, "SELECT count(*) FROM current_listings WHERE country_of_origin IS NOT NULL") == [(0,)]
    got = rows(db, "SELECT product_id FROM descriptions WHERE text LIKE '%Страна производства: КНДР%' ORDER BY 1")
    assert got == [(TEA,), (ROYAL,), (SERUM,)]


def test_product_pages_are_the_price_source(db):
    assert rows(db, "SELECT DISTINCT source FROM listing_observations") == [("product_page",)]


def test_every_request_answered(db):
    assert rows(db, "SELECT DISTINCT outcome FROM fetches") == [("ok",)]
