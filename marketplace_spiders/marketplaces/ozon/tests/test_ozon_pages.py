"""Ozon page objects on the real captured pages; expected values written by hand from reading the files."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from sample_files import fixtures_of, real_sample, real_sample_roots
from scrapy.http import HtmlResponse, TextResponse

from marketplace_spiders.marketplaces.ozon.pages import (
    OzonProductPage,
    OzonSearchPage,
    OzonSellerLegalPage,
    OzonWidgetStates,
    second_page_url,
    seller_id_from_link,
    seller_legal_url,
)
from marketplace_spiders.pages.errors import LayoutError
from marketplace_spiders.values.identifiers import complete_inn, complete_ogrn

REAL = real_sample_roots()["ozon"]
PAGE_FIXTURES = fixtures_of("ozon") / "pages"
AT = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)
COMPOSER = "https://www.ozon.ru/api/composer-api.bx/page/json/v2?url="

BOTASS_PRODUCT = "ozon_product_page_1998926903_2025-12__botass740.html"
ROMAN_PRODUCT = "ozon_product_page_747122168_2025-05__roman-shvetsov.html"
KROBL_PRODUCT = "ozon_product_page_1648654068_2024-10__KrobL2.html"
KREIN_PRODUCT = "krein15_fixtures/ozon_product.json"
KARTINA_SEARCH = "ozon_search_page_kartina_2025-12__botass740.html"
KREIN_SEARCH = "krein15_fixtures/ozon_search.json"
MCP_SEARCH = "ru-marketplace-mcp_fixtures/search_composer_live.json"

URLS = {
    BOTASS_PRODUCT: "https://www.ozon.ru/product/xiaomi-smartfon-redmi-a5-rostest-eac-4-128-gb-goluboy-1998926903/",
    ROMAN_PRODUCT: "https://www.ozon.ru/product/kofe-v-kapsulah-nescafe-dolce-gusto-flat-white-16-portsiy-dlya-"
                   "kapsulnoy-kofemashiny-1-upakovka-747122168/",
    KROBL_PRODUCT: "https://www.ozon.ru/product/odeyalo-ikea-stjarnbracka-teploe-150x200-sm-1648654068/",
    KREIN_PRODUCT: COMPOSER + "/product/5413206766/",
    KARTINA_SEARCH: "https://www.ozon.ru/search/?text=%D0%BA%D0%B0%D1%80%D1%82%D0%B8%D0%BD%D0%B0",
    KREIN_SEARCH: COMPOSER + "%2Fsearch%2F%3Ftext%3D%D0%BD%D0%B0%D1%83%D1%88%D0%BD%D0%B8%D0%BA%D0%B8"
                             "%26from_global%3Dtrue",
    MCP_SEARCH: COMPOSER + "%2Fsearch%2F%3Ftext%3D%D0%BD%D0%BE%D1%83%D1%82%D0%B1%D1%83%D0%BA",
}


def real_response(name: str, url: str | None = None) -> TextResponse:
    path = real_sample(f"ozon/{name}")  # fails, never skips, when a sample is missing
    url = url or URLS[name]
    if name.endswith(".json"):
        return TextResponse(url=url, body=path.read_bytes(), encoding="utf-8",
                            headers={"Content-Type": "application/json; charset=utf-8"})
    return HtmlResponse(url=url, body=path.read_bytes(), encoding="utf-8")


_pages: dict[str, OzonProductPage] = {}


def product_page(name: str) -> OzonProductPage:
    if name not in _pages:
        _pages[name] = OzonProductPage(real_response(name))
    return _pages[name]


@pytest.mark.parametrize(("link", "expected"), [
    ("https://www.ozon.ru/seller/tsifrovoy-mir-2444190/", "2444190"),
    ("/seller/kartiny-nochi-na-osp-lotsprints-1654464/", "1654464"),
    ("https://www.ozon.ru/seller/ozon/", "ozon"),   # Ozon itself: no numeric id in the link
    (None, None),
])
def test_seller_id_from_link(link, expected):
    assert seller_id_from_link(link) == expected


# -- widget state accessor ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", [BOTASS_PRODUCT, KREIN_PRODUCT])
def test_widget_prefix_is_the_name_before_the_first_dash(name):
    states = OzonWidgetStates.from_response(real_response(name))
    prices = states.all("webPrice")
    assert len(prices) == 1
    assert "price" in prices[0]
    assert "price" not in states.first("webPriceDecreasedCompact")
    assert states.first("noSuchWidget") is None


def test_composer_states_are_parsed_twice_and_carry_tracking_info():
    states = OzonWidgetStates.from_response(real_response(KREIN_PRODUCT))
    assert states.is_composer is True
    assert states.layout_tracking["sku"] == 5413206766
    assert states.ld_product()["sku"] == "5413206766"


# -- product pages -----------------------------------------------------------------------------------
PRODUCTS = [
    # sample, sku, title, price, card price, original price, rating, reviews, brand, category
    (BOTASS_PRODUCT, "1998926903", "Xiaomi Смартфон Redmi A5 Ростест (EAC) 4/128 ГБ, голубой",
     "6815", "6747", "7990", 4.9, 16970, "Xiaomi", "Смартфоны"),
    (ROMAN_PRODUCT, "747122168",
     "Кофе в капсулах Nescafe Dolce Gusto FLAT WHITE, 16 порций для капсульной кофемашины, 1 упаковка",
     "924", "860", "2099", 4.9, 4862, "Nescafe Dolce Gusto", "В капсулах, чалдах"),
    (KROBL_PRODUCT, "1648654068", "Одеяло IKEA STJARNBRACKA теплое, 150x200 см",
     "4292", "4016", "7690", 4.9, 19, "IKEA", "Одеяла"),
    (KREIN_PRODUCT, "5413206766", "Zuzy Наушники беспроводные с микрофоном, Bluetooth, USB Type-C, белый, светло-синий",
     "1631", "1468", "25000", 4.7, 151, "Zuzy", "Наушники"),
]
PRODUCT_IDS = ["botass740", "roman-shvetsov", "KrobL2", "krein15-composer"]


@pytest.mark.parametrize("row", PRODUCTS, ids=PRODUCT_IDS)
def test_product_page_fields(row):
    name, sku, title, price, card, original, rating, reviews, brand, category = row
    page = product_page(name)
    item = page.to_item(AT)
    assert item.marketplace == "ozon"
    assert item.product_id == sku
    assert item.title == title
    assert item.price == Decimal(price)
    assert page.card_price() == Decimal(card)
    assert item.price_before_discount == Decimal(original)
    assert item.currency == "RUB"
    assert item.in_stock is True
    assert item.rating == rating
    assert item.review_count == reviews
    assert item.brand == brand
    assert item.category == category
    assert item.source == "product_page"
    assert item.observed_at == AT
    assert len(item.response_sha256) == 64


@pytest.mark.parametrize(("name", "url"), [
    (BOTASS_PRODUCT, "https://www.ozon.ru/product/xiaomi-smartfon-redmi-a5-rostest-eac-4-128-gb-goluboy-1998926903/"),
    (KROBL_PRODUCT, "https://www.ozon.ru/product/odeyalo-ikea-stjarnbracka-teploe-150x200-sm-1648654068/"),
    (KREIN_PRODUCT, "https://www.ozon.ru/product/zuzy-naushniki-besprovodnye-s-mikrofonom-bluetooth-usb-type-c-"
                    "belyy-svetlo-siniy-5413206766/"),
])
def test_product_url_is_the_canonical_one(name, url):
    assert product_page(name).to_item(AT).url == url


SELLERS = [
    # sample, seller id, name, rating, legal name, OGRN
    (BOTASS_PRODUCT, "ozon", "Ozon Россия", 4.9, None, None),
    (KREIN_PRODUCT, "2444190", "Цифровой-Мир", 4.1, "ИП Черков Александр Александрович", "324246800141248"),
]


@pytest.mark.parametrize("row", SELLERS, ids=["ozon-1p", "marketplace-seller"])
def test_product_page_seller(row):
    name, seller_id, seller_name, rating, legal_name, ogrn = row
    page = product_page(name)
    item = page.to_item(AT)
    assert item.seller_id == seller_id
    assert item.seller_name == seller_name
    seller = page.to_seller(AT)
    assert seller.seller_id == seller_id
    assert seller.name == seller_name
    assert seller.rating == rating
    assert seller.legal_name == legal_name
    assert seller.ogrn == ogrn


@pytest.mark.parametrize("name", [ROMAN_PRODUCT, KROBL_PRODUCT])
def test_product_page_without_seller_widget(name):
    page = product_page(name)
    assert page.to_item(AT).seller_id is None
    assert page.to_item(AT).seller_name is None
    assert page.to_seller(AT) is None


def test_short_characteristics_join_multiple_values():
    chars = product_page(ROMAN_PRODUCT).short_characteristics()
    assert chars["Тип"] == "Кофе в капсулах"
    assert chars["Рецепт кофе"] == "Капучино, Моккачино, Латте"
    assert chars["Степень обжарки"] == "Средняя, Темная"


def test_content_from_first_page_uses_json_ld_description():
    content = product_page(BOTASS_PRODUCT).to_content(AT)
    assert content.product_id == "1998926903"
    assert content.description.startswith("Redmi A5 оснащён более крупным сенсором камеры")
    assert content.characteristics["Процессор"] == "Unisoc T7250"
    assert len(content.description_hash) == 64


def test_out_of_stock_product_answered_with_a_search_page():
    """Ozon shows a search page with a webOutOfStock widget for a sold-out product (product_id in the paging)."""
    page = product_page(KARTINA_SEARCH)
    item = page.to_item(AT)
    assert item.product_id == "1386462292"
    assert item.title == 'LotsPrints Картина "Осел, браун, горная дорога 70", 125  х 62 см'
    assert item.in_stock is False
    assert item.price is None
    assert item.seller_id == "1654464"
    assert item.seller_name == "Картины ночи на ОСП LotsPrints"
    assert item.url == "https://www.ozon.ru/product/1386462292/"


def test_second_page_url_of_a_product():
    assert product_page(KREIN_PRODUCT).second_page_url() == (
        "https://www.ozon.ru/api/composer-api.bx/page/json/v2?url=/product/zuzy-naushniki-besprovodnye-s-mikrofonom-"
        "bluetooth-usb-type-c-belyy-svetlo-siniy-5413206766/?layout_container=pdpPage2column&layout_page_index=2"
    )
    assert second_page_url("/product/1386462292/").endswith(
        "?url=/product/1386462292/?layout_container=pdpPage2column&layout_page_index=2")


# -- failures ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", [
    "BLOCKED_ozon_dostup_ogranichen_2025-06__Minin2707.html",
    "BLOCKED_ozon_dostup_ogranichen_v28_2025-12__RuslanTelnov.html",
])
def test_block_pages_raise_layout_error(name):
    response = real_response(name, "https://www.ozon.ru/product/1998926903/")
    with pytest.raises(LayoutError, match="Доступ ограничен"):
        OzonProductPage(response)
    with pytest.raises(LayoutError):
        OzonSearchPage(response)


def test_search_page_without_out_of_stock_widget_is_not_a_product_page():
    with pytest.raises(LayoutError, match="no product widgets"):
        OzonProductPage(real_response(MCP_SEARCH))


def test_product_page_is_not_a_search_page():
    with pytest.raises(LayoutError, match="no search grid"):
        OzonSearchPage(real_response(KREIN_PRODUCT))


def _edited_krein_product(edit) -> TextResponse:
    data = json.loads((REAL / KREIN_PRODUCT).read_bytes()) if (REAL / KREIN_PRODUCT).exists() else None
    if data is None:
        pytest.skip("real sample missing")
    edit(data)
    return TextResponse(url=URLS[KREIN_PRODUCT], body=json.dumps(data).encode(), encoding="utf-8")


def test_available_product_without_price_raises():
    def drop_price(data):
        key = next(k for k in data["widgetStates"] if k.startswith("webPrice-"))
        state = json.loads(data["widgetStates"][key])
        del state["price"]
        data["widgetStates"][key] = json.dumps(state)

    page = OzonProductPage(_edited_krein_product(drop_price))
    with pytest.raises(LayoutError, match="no price"):
        page.to_item(AT)


def test_product_without_title_raises():
    def drop_title(data):
        for key in [k for k in data["widgetStates"] if k.startswith("webProductHeading-")]:
            del data["widgetStates"][key]
        data["seo"]["script"] = []

    page = OzonProductPage(_edited_krein_product(drop_title))
    with pytest.raises(LayoutError, match="title"):
        page.to_item(AT)


def test_composer_json_without_widget_states_raises():
    response = TextResponse(url=URLS[KREIN_PRODUCT], body=b'{"layout": []}', encoding="utf-8")
    with pytest.raises(LayoutError, match="widgetStates"):
        OzonProductPage(response)


# -- search pages ------------------------------------------------------------------------------------
TILES = [
    # sample, sku, title, price, original price, stock left, rating, reviews
    (KARTINA_SEARCH, "1597697720", 'Картина "эстетика", 50х40 см', "853", "3950", 632, 5.0, 325),
    (KARTINA_SEARCH, "1414384476", 'ДоброДаров Картина "Картина на заказ / Картина на стену / Картина по фото на '
     'холсте / Картина для интерьера / Портрет на холсте / Фото картина", 50х40 см, 40*50',
     "1139", "5000", None, 4.8, 14167),
    (KARTINA_SEARCH, "1343181346", "Картина, 120  х 20 см", "4098", "32000", None, None, None),
    (MCP_SEARCH, "3497076095", 'Neobihier Ноутбук 15.6", AMD Ryzen 9 5900HX, RAM 16 ГБ, SSD 512 ГБ, AMD Radeon '
     'Graphics, Windows Pro, белый, Русская раскладка', "39534", "66888", 186, 5.0, 339),
    (MCP_SEARCH, "2796072502", 'Ноутбук 15.6", Intel Celeron N5095A, RAM 16 ГБ, SSD 512 ГБ, Intel UHD Graphics 750, '
     'Windows Pro, розовый, светло-розовый, Русская раскладка', "32296", None, None, 4.7, 472),
    (MCP_SEARCH, "4695873085", 'Ноутбук для учебы и работы игровой 4 ядра Ноутбук 15.6", Intel N95, RAM 32 ГБ, '
     'SSD 2048 ГБ, Windows Pro, серебристый, светло-серый, Русская раскладка', "26838", "203500", 477, 4.9, 1300),
    (KREIN_SEARCH, "5413206766", "Zuzy Наушники беспроводные с микрофоном, Bluetooth, USB Type-C, белый, светло-синий",
     "1468", "25000", 559, 4.7, 151),
]

_search: dict[str, OzonSearchPage] = {}


def search_page(name: str) -> OzonSearchPage:
    if name not in _search:
        _search[name] = OzonSearchPage(real_response(name))
    return _search[name]


@pytest.mark.parametrize("row", TILES, ids=[f"{r[0].split('/')[0][:12]}-{r[1]}" for r in TILES])
def test_search_tile_fields(row):
    name, sku, title, price, original, stock, rating, reviews = row
    tile = next(t for t in search_page(name).tiles() if t.sku == sku)
    assert tile.title == title
    assert tile.price == Decimal(price)
    assert tile.price_before_discount == (Decimal(original) if original else None)
    assert tile.stock_left == stock
    assert tile.rating == rating
    assert tile.review_count == reviews
    assert tile.url.startswith("https://www.ozon.ru/product/") and tile.url.endswith(f"-{sku}/")


@pytest.mark.parametrize(("name", "skus"), [
    (KARTINA_SEARCH, ["1414384476", "1597697720", "2656489449", "1602844102", "2390713773", "1343181346",
                      "1855906095", "593235706", "3169700398", "1766035489", "2931979148", "2713068257"]),
    (MCP_SEARCH, ["3497076095", "2796072502", "4695873085"]),
    (KREIN_SEARCH, ["5413206766", "5413263152"]),
])
def test_search_hits_in_page_order(name, skus):
    hits = search_page(name).search_hits("картина", page=2, observed_at=AT, offset=12)
    assert [h.product_id for h in hits] == skus
    assert [h.position for h in hits] == list(range(13, 13 + len(skus)))
    assert {h.page for h in hits} == {2}
    assert all(h.product_name for h in hits)
    assert len({h.response_sha256 for h in hits}) == 1


def test_search_tiles_as_observations():
    rows = search_page(MCP_SEARCH).observations(AT)
    assert [r.source for r in rows] == ["search"] * 3
    assert [r.stock_qty for r in rows] == [186, None, 477]
    assert rows[0].price == Decimal("39534")


def test_next_page_of_ssr_search_is_a_www_url():
    url = search_page(KARTINA_SEARCH).next_page_url()
    assert url.startswith("https://www.ozon.ru/search/?")
    query = parse_qs(urlsplit(url).query)
    assert query["page"] == ["2"]
    assert query["text"] == ["Картина"]


def test_next_page_of_composer_search_is_a_composer_url():
    page = search_page(KREIN_SEARCH)
    url = page.next_page_url()
    assert url.startswith(COMPOSER)
    inner = parse_qs(urlsplit(url).query)["url"][0]
    assert inner == page.next_page_path()
    assert "page=2" in inner and "paginator_token=3618992" in inner


def test_trimmed_search_without_paginator_has_no_next_page():
    assert search_page(MCP_SEARCH).next_page_url() is None


# Hand-made cases (fixtures/pages/<case>/) are run by tests/test_page_cases.py (schema: page_cases.py).


# -- seller legal information ----------------------------------------------------------------------------


def _legal_page(lines: list[str], widget: str = "textBlock-1-default-1") -> TextResponse:
    state = {"body": [{"type": "textAtom", "textAtom": {"text": t}} for t in lines]}
    body = json.dumps({"widgetStates": {widget: json.dumps(state, ensure_ascii=False)}}, ensure_ascii=False)
    return TextResponse(url=seller_legal_url("42"), body=body.encode(), encoding="utf-8")


def test_seller_legal_url_points_at_the_modal():
    url = seller_legal_url("3330001")
    assert url.startswith("https://www.ozon.ru/api/entrypoint-api.bx/page/json/v2?url=")
    inner = parse_qs(urlsplit(url).query)["url"][0]
    assert inner == "/modal/shop-in-shop-info?seller_id=3330001&page_changed=true"


OOO_OGRN, OOO_INN = complete_ogrn("123250001234"), complete_inn("254000000")   # fictional, valid checks
IP_OGRNIP, IP_INN = complete_ogrn("32525360009999"), complete_inn("2540000000")
SELLER_LEGAL = [
    (["ООО «Корё Трейд»", f"ОГРН {OOO_OGRN}", f"ИНН {OOO_INN}", "Работает согласно графику Ozon"],
     ("ООО «Корё Трейд»", OOO_OGRN, OOO_INN, None)),
    (["Xiamen Yaowu Erqi Trading Co., LTD", "Работает согласно графику Ozon"],
     ("Xiamen Yaowu Erqi Trading Co., LTD", None, None, None)),
    (["Работает согласно графику Ozon", "ИП Ким Сон Ир", f"ОГРНИП: {IP_OGRNIP}", f"ИНН {IP_INN}"],
     ("ИП Ким Сон Ир", IP_OGRNIP, IP_INN, None)),
    (["ООО «Пуган Трейд»", f"ОГРН {OOO_OGRN}, ИНН {OOO_INN}", "Работает с 9 до 18"],
     ("ООО «Пуган Трейд»", OOO_OGRN, OOO_INN, None)),
    (["ООО «Пуган Трейд»", "ОГРН 1232500012345", f"ИНН {OOO_INN}"],   # last digit of the OGRN wrong
     ("ООО «Пуган Трейд»", None, OOO_INN, "ОГРН 1232500012345: control digit does not match")),
]


@pytest.mark.parametrize(("lines", "expected"), SELLER_LEGAL,
                         ids=["ooo", "foreign", "ip_12_digit_inn", "ogrn_and_inn_on_one_line", "bad_control_digit"])
def test_seller_legal_lines(lines, expected):
    seller = OzonSellerLegalPage(_legal_page(lines), "42").to_seller(AT, name="shop")
    assert (seller.legal_name, seller.ogrn, seller.inn, seller.legal_id_rejects) == expected
    assert (seller.seller_id, seller.name, seller.marketplace) == ("42", "shop", "ozon")


def test_seller_legal_page_without_text_block_raises():
    with pytest.raises(LayoutError):
        OzonSellerLegalPage(_legal_page(["x"], widget="cellList-1-default-1"), "42")

