"""The bundled Ozon timeline replayed through the real spider (browser requests served from the recording)."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest
from sample_files import FIXTURES

from marketplace_spiders import demo

RUNS = FIXTURES / "ozon" / "timeline"


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("ozon") / "ozon.duckdb"
    for run in ("run-1", "run-2"):
        demo.replay("ozon", RUNS / run, path)
    con = duckdb.connect(str(path), read_only=True)
    yield con
    con.close()


def rows(con, sql):
    return con.execute(sql).fetchall()


def test_runs_are_ok(db):
    assert rows(db, "SELECT strftime(started_at, '%Y-%m-%d'), status FROM crawl_runs ORDER BY started_at") == [
        ("2026-11-02", "ok"), ("2026-11-09", "ok")]


def test_price_change(db):
    assert rows(db, "SELECT old_price, new_price FROM price_changes WHERE product_id = '900000011'") == [
        (Decimal("6990.00"), Decimal("6490.00"))]
    assert rows(db, "SELECT DISTINCT price_before_discount FROM listing_observations "
                    "WHERE product_id = '900000011'") == [(Decimal("8900.00"),)]


def test_listing_goes_out_of_stock(db):
    got = rows(db, "SELECT observed_at::DATE::VARCHAR, in_stock FROM listing_observations "
                   "WHERE product_id = '900000012' ORDER BY observed_at")
    assert got == [("2026-11-02", True), ("2026-11-09", False)]
    assert rows(db, "SELECT status FROM current_listings WHERE product_id = '900000012'") == [("out_of_stock",)]


def test_new_listing(db):
    assert rows(db, "SELECT first_seen::DATE::VARCHAR FROM listings WHERE product_id = '900000013'") == [
        ("2026-11-09",)]


def test_seller_with_legal_name_and_ogrn(db):
    assert rows(db, "SELECT seller_id, name, legal_name, ogrn FROM sellers WHERE marketplace = 'ozon'") == [
        ("987654", "Корея-Здоровье", "ООО «Корея Здоровье»", "1234567890123")]


def test_country_and_manufacturer_from_the_second_layout_page(db):
    got = dict(rows(db, "SELECT product_id, any_value(country_of_origin) FROM listing_observations GROUP BY 1"))
    assert got == {"900000011": "КНДР", "900000012": "КНДР",
                   "900000013": "Корейская Народно-Демократическая Республика"}
    assert rows(db, "SELECT count(*) FROM fetches WHERE page_type = 'content'") == [(3,)]


def test_search_positions(db):
    got = rows(db, "SELECT product_id, position FROM search_hits WHERE term = 'Кымдан-2' AND "
                   "observed_at >= '2026-11-09' ORDER BY position")
    assert got == [("900000011", 1), ("900000013", 2)]
