"""Wildberries page objects on the real captured responses, expected values written by hand."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sample_files import json_response, real_sample

from marketplace_spiders.marketplaces.wildberries.pages import (
    BasketRouter,
    WbBasketCardPage,
    WbDetailPage,
    WbSearchPage,
    WbSupplierPage,
    WbSupplierProfilePage,
    basket_card_url,
    fallback_basket_host,
    kopecks_to_roubles,
)
from marketplace_spiders.pages.errors import LayoutError

AT = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)
SEARCH_URL = ("https://search.wb.ru/exactmatch/ru/common/v9/search?appType=1&curr=rub&dest=-1257786&locale=ru"
              "&query=%D0%BD%D0%BE%D1%83%D1%82%D0%B1%D1%83%D0%BA&resultset=catalog&page=1&spp=30")
DETAIL_URL = "https://card.wb.ru/cards/v4/detail?appType=1&curr=rub&dest=-1257786&locale=ru&spp=30&nm={}"


def response_for(relative: str, url: str):
    return json_response(url, real_sample(relative).read_bytes())


# -- search ----------------------------------------------------------------------------------
SEARCH_V9 = [
    # nm, title, brand, seller id, seller, price, before discount, stock, rating, reviews
    (1280469586, "Ноутбук 16 дюймов Ryzen 5-7535HS 16Гб 1ТБ WUXGA Win11 K16SFA", "TECNO", "250000199",
     "Tech&home", "55621.00", "74460.00", 23, 5.0, 1),
    (824935779, "Ноутбук MateBook D16 (53014MUA)", "Huawei", "768659", "Modern Device", "60571.00", "81087.00",
     10, 4.9, 46),
    (497398643, 'Ноутбук Crosshair A16 D8WGKG 16" Ryzen 7 32Gb SSD1Tb RTX5070', "MSI", "768659",
     "Modern Device", "149851.00", "200604.00", 67, 4.9, 45),
]


@pytest.fixture(scope="module")
def search_v9():
    return WbSearchPage(response_for("wildberries/ru-marketplace-mcp_fixtures/search_v9_live.json", SEARCH_URL))


def test_search_v9_total_and_hits(search_v9):
    assert search_v9.total() == 60672
    hits = search_v9.search_hits("ноутбук", page=2, page_size=100, observed_at=AT)
    assert [h.product_id for h in hits] == [str(row[0]) for row in SEARCH_V9]
    assert [h.position for h in hits] == [101, 102, 103]
    assert {h.term for h in hits} == {"ноутбук"}
    assert len({h.response_sha256 for h in hits}) == 1 and len(hits[0].response_sha256) == 64


@pytest.mark.parametrize("row", SEARCH_V9, ids=[str(r[0]) for r in SEARCH_V9])
def test_search_v9_product_fields(search_v9, row):
    nm, title, brand, seller_id, seller, price, before, stock, rating, reviews = row
    product = next(p for p in search_v9.products() if p.nm_id == nm)
    obs = product.to_observation(AT, "sha", source="search")
    assert obs.title == title
    assert obs.brand == brand
    assert obs.seller_id == seller_id
    assert obs.seller_name == seller
    assert obs.price == Decimal(price)
    assert obs.price_before_discount == Decimal(before)
    assert obs.stock_qty == stock
    assert obs.in_stock is True
    assert obs.stock_capped is False
    assert obs.rating == rating
    assert obs.review_count == reviews
    assert obs.url == f"https://www.wildberries.ru/catalog/{nm}/detail.aspx"


def test_search_krein15_newer_fields():
    page = WbSearchPage(response_for("wildberries/krein15_fixtures/wb_search.json", SEARCH_URL))
    assert page.total() == 117252
    first = page.products()[0].to_observation(AT, "sha", source="search")
    assert (first.product_id, first.title, first.brand) == ("839226871", "Наушники беспроводные TWS Pro 2",
                                                             "TehnoVolna")
    assert (first.price, first.price_before_discount) == (Decimal("1481.00"), Decimal("2530.00"))
    assert (first.stock_qty, first.rating, first.review_count) == (42, 4.9, 113476)


# -- detail ----------------------------------------------------------------------------------
def test_detail_v4_live_card():
    page = WbDetailPage(response_for("wildberries/ru-marketplace-mcp_fixtures/card_v4_live.json",
                                     DETAIL_URL.format(1280469586)))
    (obs,) = page.observations([1280469586], AT)
    assert obs.listing_status == "listed"
    # The card price differs from the search price in the same minute (provenance note): 54 676 vs 55 621.
    assert obs.price == Decimal("54676.00")
    assert obs.price_before_discount == Decimal("70824.00")
    assert obs.stock_qty == 26  # totalQuantity; the single warehouse row says 21
    assert obs.in_stock is True
    assert obs.review_count == 3
    assert obs.observed_at == AT


def test_detail_c2c_single_unit():
    page = WbDetailPage(response_for("wildberries/BlankTrail_testdata/card-detail.json",
                                     DETAIL_URL.format(1309449623)))
    (obs,) = page.observations([1309449623], AT)
    assert (obs.title, obs.brand, obs.seller_id, obs.seller_name) == ("Кроссовки", "pierre cardin", "350748670",
                                                                      "Елена")
    assert (obs.price, obs.price_before_discount) == (Decimal("1000.00"), Decimal("1000.00"))
    assert (obs.stock_qty, obs.in_stock, obs.rating, obs.review_count) == (1, True, 0.0, 0)


def test_detail_krein15_and_missing_ids_are_not_found():
    page = WbDetailPage(response_for("wildberries/krein15_fixtures/wb_detail.json",
                                     DETAIL_URL.format("839226871;111")))
    rows = {o.product_id: o for o in page.observations([839226871, 111], AT)}
    assert rows["839226871"].price == Decimal("1481.00")
    assert rows["839226871"].stock_qty == 42
    assert rows["111"].listing_status == "not_found"
    assert rows["111"].price is None and rows["111"].in_stock is False


# -- content, sellers, routing -----------------------------------------------------------------
def test_basket_card_json():
    url = "https://basket-12.wbbasket.ru/vol1797/part179790/179790764/info/ru/card.json"
    content = WbBasketCardPage(
        response_for("wildberries/basket_card_json__compact__RuslanTelnov_179790764.json", url)
    ).to_content(AT)
    assert content.product_id == "179790764"
    assert content.title == "Милая кружка для любимых с котиками люблю тебя"
    assert content.country_of_origin == "Россия"
    assert content.manufacturer is None
    assert content.category == "Кружки"
    assert content.brand == "CupCraft"
    assert content.seller_id == "563333"
    assert content.characteristics["Материал посуды"] == "керамика"
    assert content.description.startswith("Хотите сделать приятный сюрприз")
    assert len(content.description_hash) == 64


def test_supplier_static_c2c_has_no_legal_details():
    seller = WbSupplierPage(response_for(
        "wildberries/BlankTrail_testdata/supplier-static.json",
        "https://static-basket-01.wbbasket.ru/vol0/data/supplier-by-id/350748670.json")).to_seller(AT)
    assert (seller.seller_id, seller.name, seller.legal_name, seller.seller_type) == ("350748670", "Елена",
                                                                                     "Елена", "C2C")
    assert seller.inn is None and seller.ogrn is None


def test_supplier_profile_fills_rating_and_registration():
    seller = WbSupplierPage(response_for(
        "wildberries/BlankTrail_testdata/supplier-static.json",
        "https://static-basket-01.wbbasket.ru/vol0/data/supplier-by-id/350748670.json")).to_seller(AT)
    WbSupplierProfilePage(response_for(
        "wildberries/BlankTrail_testdata/seller.json",
        "https://suppliers-shipment-2.wildberries.ru/api/v1/suppliers/350748670?curr=RUB")).fill(seller)
    assert seller.rating == 0.0
    assert seller.review_count == 0
    assert seller.sale_count == 0
    assert seller.registered_at == datetime(2026, 7, 30, 14, 4, 40, tzinfo=UTC)


def test_upstreams_routing_table():
    router = BasketRouter.from_upstreams(response_for("wildberries/BlankTrail_testdata/upstreams.json",
                                                      "https://cdn.wbbasket.ru/api/v3/upstreams"))
    assert router.host_for(179790764) == "basket-12.wbbasket.ru"  # vol 1797 in 1656..1919
    assert router.host_for(14_300_000) == "basket-01.wbbasket.ru"  # vol 143, the first range's end
    assert basket_card_url("basket-12.wbbasket.ru", 179790764) == (
        "https://basket-12.wbbasket.ru/vol1797/part179790/179790764/info/ru/card.json")


@pytest.mark.parametrize("vol, host", [(0, "basket-01"), (1797, "basket-12"), (9605, "basket-40"),
                                       (9606, "basket-41"), (10373, "basket-41"), (18821, "basket-52"),
                                       (18822, "basket-53")])
def test_fallback_basket_hosts(vol, host):
    assert fallback_basket_host(vol) == f"{host}.wbbasket.ru"


def test_router_falls_back_past_a_stale_table():
    router = BasketRouter([(0, 143, "basket-01.wbbasket.ru")])
    assert router.host_for(1797 * 100000) == "basket-12.wbbasket.ru"


# -- bad input -------------------------------------------------------------------------------
def test_wbaas_challenge_is_a_layout_error_not_an_empty_search():
    body = real_sample("wildberries/BLOCKED_wb_wbaas_antibot_challenge_2025-12__botass740.html").read_bytes()
    with pytest.raises(LayoutError, match="not JSON"):
        WbSearchPage(json_response(SEARCH_URL, body))


@pytest.mark.parametrize("body, message", [
    (b'{"metadata": {}, "total": 0}', "no 'products'"),
    (b'[1, 2]', "expected a JSON object"),
    (b'{"products": [{"name": "no id"}]}', "without an integer 'id'"),
    (b'{"products": [{"id": 1, "name": "x", "sizes": [{"price": {"product": "12 rub", "basic": 1500}}]}]}',
     r"price\.product is not a number"),
    (b'{"products": [{"id": 1, "name": "x", "sizes": [{"price": {"product": 1200}}]}]}', "has no 'basic'"),
])
def test_malformed_bodies_raise_layout_error(body, message):
    with pytest.raises(LayoutError, match=message):
        page = WbDetailPage(json_response(DETAIL_URL.format(1), body))
        page.observations([1], AT)


@pytest.mark.parametrize("kopecks, roubles", [(5562100, "55621.00"), (100000, "1000.00"), (1, "0.01"),
                                              (0, "0.00"), (None, None)])
def test_kopecks_to_roubles(kopecks, roubles):
    assert kopecks_to_roubles(kopecks) == (Decimal(roubles) if roubles else None)


# Hand-made cases (fixtures/pages/<case>/) are run by tests/test_page_cases.py (schema: page_cases.py).


# -- one price source, and what the real samples show -------------------------------------------------
REAL_PRODUCT_SAMPLES = ["wildberries/ru-marketplace-mcp_fixtures/search_v9_live.json",
                        "wildberries/ru-marketplace-mcp_fixtures/card_v4_live.json",
                        "wildberries/krein15_fixtures/wb_search.json", "wildberries/krein15_fixtures/wb_detail.json",
                        "wildberries/BlankTrail_testdata/card-detail.json"]


@pytest.mark.parametrize("relative", REAL_PRODUCT_SAMPLES, ids=lambda r: r.split("/")[-1])
def test_every_real_product_in_stock_carries_a_price_block(relative):
    """The evidence behind 'listed, in stock and no price is a layout error': no real answer has one."""
    data = json.loads(real_sample(relative).read_text("utf-8"))
    for product in data["products"]:
        assert product["totalQuantity"] > 0
        assert all(isinstance(size.get("price"), dict) and {"basic", "product"} <= set(size["price"])
                   for size in product["sizes"]), product["id"]
        assert "priceU" not in product and "salePriceU" not in product  # the legacy keys are gone


def _product(**fields):
    return {"id": 7, "name": "Кымдан-2", "totalQuantity": 3, **fields}


def _detail(body: dict, url: str = DETAIL_URL.format(7)):
    return WbDetailPage(json_response(url, json.dumps(body).encode()))


def test_legacy_envelope_reads_the_size_price_block_when_it_has_one():
    """2024 v2 answers had both: the sizes[].price block is the one source, salePriceU is not mixed in."""
    product = _product(priceU=999900, salePriceU=888800,
                       sizes=[{"price": {"basic": 450000, "product": 342000}, "stocks": [{"qty": 3}]}])
    (obs,) = _detail({"state": 0, "params": {"curr": "rub"}, "data": {"products": [product]}}).observations([7], AT)
    assert (obs.price, obs.price_before_discount) == (Decimal("3420.00"), Decimal("4500.00"))


def test_legacy_envelope_without_priceU_is_an_error_not_a_half_price():
    product = _product(salePriceU=342000, sizes=[{"stocks": [{"qty": 3}]}])
    with pytest.raises(LayoutError, match="legacy price without 'priceU'"):
        _detail({"state": 0, "data": {"products": [product]}}).observations([7], AT)


def test_cheapest_size_gives_both_prices():
    sizes = [{"price": {"basic": 90000, "product": 80000}}, {"price": {"basic": 70000, "product": 65000}},
             {"name": "sold out size without a price"}]
    (obs,) = _detail({"products": [_product(sizes=sizes)]}).observations([7], AT)
    assert (obs.price, obs.price_before_discount) == (Decimal("650.00"), Decimal("700.00"))


def test_legacy_answer_repeating_another_currency_than_asked_is_an_error():
    product = _product(priceU=450000, salePriceU=342000)
    with pytest.raises(LayoutError, match="request asked for 'rub'"):
        _detail({"state": 0, "params": {"curr": "kzt"}, "data": {"products": [product]}}).observations([7], AT)


# -- suspect answers ----------------------------------------------------------------------------------
def test_detail_answer_without_any_requested_id_is_suspect():
    page = _detail({"products": []}, DETAIL_URL.format("7;8"))
    answer = page.answer([7, 8], AT)
    assert (answer.observations, answer.suspect_ids) == ([], [7, 8])
    assert "omits every requested id (2)" in answer.reason
    with pytest.raises(LayoutError, match="omits every requested id"):
        page.observations([7, 8], AT)


def test_detail_answer_omitting_a_searched_id_is_suspect_but_keeps_the_returned_rows():
    sizes = [{"price": {"basic": 90000, "product": 80000}}]
    answer = _detail({"products": [_product(sizes=sizes)]}, DETAIL_URL.format("7;8;9")).answer(
        [7, 8, 9], AT, seen_listed={8})
    assert [(o.product_id, o.listing_status) for o in answer.observations] == [("7", "listed")]
    assert answer.suspect_ids == [8, 9] and "(8)" in answer.reason


def test_supplier_with_a_rejected_inn_stores_it_apart():
    body = {"supplierId": 5, "supplierName": "S", "inn": "7701234567", "ogrn": "1207700123454"}
    seller = WbSupplierPage(json_response("https://static-basket-01.wbbasket.ru/vol0/data/supplier-by-id/5.json",
                                          json.dumps(body).encode())).to_seller(AT)
    assert (seller.inn, seller.ogrn) == (None, "1207700123454")
    assert seller.legal_id_rejects == "ИНН 7701234567: control digits do not match"


def test_supplier_with_two_different_valid_registration_numbers_stores_neither():
    body = {"supplierId": 5, "inn": "7701234560", "ogrn": "1207700123454", "ogrnip": "321253600012346"}
    seller = WbSupplierPage(json_response("https://static-basket-01.wbbasket.ru/vol0/data/supplier-by-id/5.json",
                                          json.dumps(body).encode())).to_seller(AT)
    assert (seller.inn, seller.ogrn) == ("7701234560", None)
    assert "several different valid numbers" in seller.legal_id_rejects
