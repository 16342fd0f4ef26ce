"""The bundled Ozon timeline (fixtures/timeline, built by its derive.py) replayed through the real spider
(browser requests served from the recording) into a real DuckDB file, checked in SQL: one assertion per field."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest
from sample_files import observed, replay_timeline, rows

SERUM, TEA, ROYAL, AMPOULES = "900000011", "900000012", "900000013", "900000014"


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    con = duckdb.connect(str(replay_timeline("ozon", tmp_path_factory.mktemp("ozon"))), read_only=True)
    yield con
    con.close()


def test_runs_are_ok_at_the_recorded_times(db):
    got = rows(db, "SELECT strftime(started_at, '%Y-%m-%d %H:%M'), status FROM crawl_runs ORDER BY started_at")
    assert got == [("2026-11-02 07:00", "ok"), ("2026-11-09 07:00", "ok")]


def test_runs_are_replays(db):
    assert rows(db, "SELECT DISTINCT replay FROM crawl_runs") == [(True,)]


def test_price_change(db):
    assert observed(db, "price", SERUM) == [("2026-11-02", Decimal("6990.00")), ("2026-11-09", Decimal("6490.00"))]
    assert rows(db, "SELECT old_price, new_price FROM price_changes WHERE product_id = ?", SERUM) == [
        (Decimal("6990.00"), Decimal("6490.00"))]


def test_only_the_serum_changed_price(db):
    assert rows(db, "SELECT product_id FROM price_changes") == [(SERUM,)]


def test_price_before_discount(db):
    assert observed(db, "price_before_discount", SERUM) == [("2026-11-02", Decimal("8900.00")),
                                                            ("2026-11-09", Decimal("8900.00"))]


def test_listing_goes_out_of_stock(db):
    assert observed(db, "in_stock", TEA) == [("2026-11-02", True), ("2026-11-09", False)]
    assert rows(db, "SELECT status FROM current_listings WHERE product_id = ?", TEA) == [("out_of_stock",)]


def test_out_of_stock_listing_is_still_listed(db):
    assert observed(db, "listing_status", TEA) == [("2026-11-02", "listed"), ("2026-11-09", "listed")]


def test_listing_dropped_from_search_is_still_revisited(db):
    hits = rows(db, "SELECT observed_at::DATE::VARCHAR FROM search_hits WHERE product_id = ?", AMPOULES)
    assert hits == [("2026-11-02",)]
    assert observed(db, "in_stock", AMPOULES) == [("2026-11-02", True), ("2026-11-09", True)]
    assert rows(db, "SELECT status FROM current_listings WHERE product_id = ?", AMPOULES) == [("available",)]


def test_new_listing_first_seen(db):
    assert rows(db, "SELECT first_seen::DATE::VARCHAR FROM listings WHERE product_id = ?", ROYAL) == [
        ("2026-11-09",)]


def test_new_listing_found_by_two_terms(db):
    got = rows(db, "SELECT term, position FROM search_hits WHERE product_id = ? ORDER BY term", ROYAL)
    assert got == [("Royal Blood-Fresh", 1), ("Кымдан-2", 2)]


def test_search_positions(db):
    def hits(day):
        return rows(db, "SELECT product_id, position FROM search_hits WHERE term = 'Кымдан-2' "
                        "AND observed_at::DATE = ?::DATE ORDER BY position", day)

    assert hits("2026-11-02") == [(SERUM, 1), (AMPOULES, 2)]
    assert hits("2026-11-09") == [(SERUM, 1), (ROYAL, 2)]


def test_search_term_with_no_results(db):
    got = rows(db, "SELECT count(*) FROM search_hits WHERE term = 'Кэсонский женьшень' "
                   "AND observed_at::DATE = '2026-11-09'")
    assert got == [(0,)]


def test_seller_legal_name(db):
    got = rows(db, "SELECT seller_id, legal_name FROM sellers WHERE marketplace = 'ozon' ORDER BY seller_id")
    assert got == [("1122334", "ИП Пак Ирина Вячеславовна"), ("987654", "ООО «Корея Здоровье»")]


def test_seller_ogrn(db):
    got = rows(db, "SELECT seller_id, ogrn FROM sellers WHERE marketplace = 'ozon' ORDER BY seller_id")
    assert got == [("1122334", "324253600098762"), ("987654", "1234567890127")]


def test_seller_storefront_name(db):
    got = rows(db, "SELECT seller_id, name FROM sellers WHERE marketplace = 'ozon' ORDER BY seller_id")
    assert got == [("1122334", "Пхеньян Фарм"), ("987654", "Корея-Здоровье")]


def test_listing_carries_its_seller(db):
    got = rows(db, "SELECT product_id, seller_legal_name FROM current_listings ORDER BY product_id")
    assert got == [(SERUM, "ООО «Корея Здоровье»"), (TEA, "ООО «Корея Здоровье»"),
                   (ROYAL, "ИП Пак Ирина Вячеславовна"), (AMPOULES, "ИП Пак Ирина Вячеславовна")]


def test_country_of_origin_from_the_second_layout_page(db):
    got = rows(db, "SELECT product_id, country_of_origin FROM current_listings ORDER BY product_id")
    assert got == [(SERUM, "КНДР"), (TEA, "КНДР"), (ROYAL, "Корейская Народно-Демократическая Республика"),
                   (AMPOULES, "Корея, Народно-Демократическая Республика")]


def test_manufacturer_from_the_second_layout_page(db):
    got = rows(db, "SELECT product_id, manufacturer FROM current_listings ORDER BY product_id")
    assert got == [(SERUM, "Пуган (Pugang), Пхеньян"), (TEA, "Кэсонская фабрика Корё инсам"),
                   (ROYAL, "Korea Pugang Trading Corp."), (AMPOULES, "Pugang Pharmaceutical Company")]


def test_characteristics_stored_with_the_description(db):
    got = rows(db, "SELECT characteristics->>'Страна-изготовитель' FROM descriptions WHERE product_id = ?", ROYAL)
    assert got == [("Корейская Народно-Демократическая Республика",)]


def test_category_from_the_breadcrumbs(db):
    got = rows(db, "SELECT product_id, category FROM current_listings ORDER BY product_id")
    assert got == [(SERUM, "Сыворотки для лица"), (TEA, "Травяной чай"), (ROYAL, "БАД для иммунитета"),
                   (AMPOULES, "БАД для иммунитета")]


def test_second_page_only_for_new_content(db):
    got = rows(db, "SELECT fetched_at::DATE::VARCHAR, count(*) FROM fetches WHERE page_type = 'content' "
                   "GROUP BY ALL ORDER BY 1")
    assert got == [("2026-11-02", 3), ("2026-11-09", 1)]


def test_every_request_answered(db):
    assert rows(db, "SELECT DISTINCT outcome FROM fetches") == [("ok",)]
