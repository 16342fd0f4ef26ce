"""Yandex Market page objects on the real captured pages; expected values written by hand from reading the
files (and, for the ru-marketplace-mcp captures, matching the ground truth in their provenance.json)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from sample_files import fixtures_of, real_sample
from scrapy.http import HtmlResponse

from marketplace_spiders.marketplaces.yandex_market.pages import (
    HollowShellError,
    YandexMarketProductPage,
    YandexMarketSearchPage,
    card_id_from_url,
    id_from_url,
)
from marketplace_spiders.marketplaces.yandex_market.pages.state import amount_value, price_value
from marketplace_spiders.pages.errors import LayoutError
from marketplace_spiders.values import Money

PAGE_FIXTURES = fixtures_of("yandex_market") / "pages"
AT = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)

LAMP = "yandex_market_product_page_2025-05__roman-shvetsov.html"
HOCO_CARD = "krein15_fixtures/ym_card.html"
WASHER = "ru-marketplace-mcp_fixtures/card_washer.html"
NO_RATING = "ru-marketplace-mcp_fixtures/card_no_rating.html"
SEARCH_WASHER = "ru-marketplace-mcp_fixtures/search_washer.html"
SEARCH_IPHONE = "ru-marketplace-mcp_fixtures/search_iphone.html"
SEARCH_EMPTY = "ru-marketplace-mcp_fixtures/search_empty.html"

URLS = {
    LAMP: "https://market.yandex.ru/product--komplekt-umnogo-doma-yandex-umnaia-lampochka-yandexa-yndx-00019/"
          "804002958?sku=103576902054&uniqueId=924574",
    HOCO_CARD: "https://market.yandex.ru/card/naushniki-provodnyye-s-mikrofonom--vkladyshi-hoco-m97--dlya-smartfona-"
               "s-razyemom-jack-35--belyye/4425435376",
    # the provenance of these two records only the domain; the product is identified from the data
    WASHER: "https://market.yandex.ru/",
    NO_RATING: "https://market.yandex.ru/",
    SEARCH_WASHER: "https://market.yandex.ru/search?text=%D1%81%D1%82%D0%B8%D1%80%D0%B0%D0%BB%D1%8C%D0%BD%D0%B0%D1%8F"
                   "%20%D0%BC%D0%B0%D1%88%D0%B8%D0%BD%D0%B0",
    SEARCH_IPHONE: "https://market.yandex.ru/search?text=iphone",
    SEARCH_EMPTY: "https://market.yandex.ru/",
}


def real_response(name: str) -> HtmlResponse:
    path = real_sample(f"yandex_market/{name}")  # fails, never skips, when a sample is missing
    return HtmlResponse(url=URLS[name], body=path.read_bytes(), encoding="utf-8")


_pages: dict[str, YandexMarketProductPage] = {}


def product_page(name: str) -> YandexMarketProductPage:
    if name not in _pages:
        _pages[name] = YandexMarketProductPage(real_response(name))
    return _pages[name]


# -- values ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("node", "expected"), [
    ({"value": 979, "currency": "RUR"}, ("979.00", "RUB")),
    ({"value": "18796", "currency": "RUR"}, ("18796.00", "RUB")),
    ({"value": "40\u2009155", "currency": "RUR"}, ("40155.00", "RUB")),
    ({"value": "1.500", "currency": "RUR"}, ("1500.00", "RUB")),  # thousands group, not 1.50
    ({"value": 12990, "currency": "KZT"}, ("12990.00", "KZT")),
    ({"value": 979}, ("979.00", "RUB")),  # no currency stated: the marketplace's default
    ({"currency": "RUR"}, None),
])
def test_price_value_keeps_the_stated_currency(node, expected):
    assert price_value(node) == (Money(Decimal(expected[0]), expected[1]) if expected else None)


@pytest.mark.parametrize("value", ["1.4K", "бесплатно", True])
def test_price_value_refuses_what_is_not_money(value):
    with pytest.raises(LayoutError):
        price_value({"value": value, "currency": "RUR"})


def test_snippet_amount_whose_code_and_label_disagree_is_an_error():
    assert amount_value({"amount": {"intPart": "180", "currency": "RUR", "currencyLabel": "₽"}}) == Money(
        Decimal("180"), "RUB")
    with pytest.raises(LayoutError, match="label"):
        amount_value({"amount": {"intPart": "180", "currency": "RUR", "currencyLabel": "₸"}})


@pytest.mark.parametrize(("url", "model_id", "card_id"), [
    (URLS[LAMP], "804002958", None),
    ("//market.yandex.ru/product/763970960?hid=80029359&nid=80030442", "763970960", None),
    (URLS[HOCO_CARD], None, "4425435376"),
])
def test_ids_from_both_url_forms(url, model_id, card_id):
    assert id_from_url(url) == model_id
    assert card_id_from_url(url) == card_id


# -- product pages -----------------------------------------------------------------------------------
PRODUCTS = [
    # sample, model id, sku, title, price, card price, crossed-out, stock, rating, reviews, ratings, brand, category
    (LAMP, "804002958", "103576902054", "Умная лампочка Яндекс с Алисой, цоколь GU10, 4.9 Вт, RGB цветная",
     "989", "979", None, 75, 4.8, 84, 363, "Яндекс", "Комплекты умного дома"),
    (HOCO_CARD, "949549280", "101797603133",
     "Наушники проводные с Микрофоном / вкладыши/ hoco M97 / для смартфона с разъёмом Jack 3,5 / Белые",
     "251", "180", "301", None, 4.6, None, 24, "hoco.", "Наушники и Bluetooth-гарнитуры"),
    (WASHER, "763970960", "5737172259",
     "Стиральная машина узкая Tuvio, инверторный мотор, 14 программ, 7 кг, WFS74MW61",
     "19377", "18796", "26185", 623, 4.8, 209, 544, "Tuvio", None),
    (NO_RATING, "1912483624", "102250448752", "Смартфон Apple iPhone 15 6/128 Черный",
     "51547", "50001", "56702", 1, None, 0, None, "Apple", None),
]


@pytest.mark.parametrize("row", PRODUCTS, ids=["lamp-2025", "card-2026", "washer", "no-rating"])
def test_product_page_fields(row):
    name, model_id, sku, title, price, card, before, stock, rating, reviews, ratings, brand, category = row
    page = product_page(name)
    item = page.to_item(AT)
    assert item.marketplace == "yandex_market"
    assert item.product_id == model_id
    assert page.sku() == sku
    assert item.url == f"https://market.yandex.ru/product/{model_id}?sku={sku}"
    assert item.title == title
    assert item.price == Decimal(price)
    assert page.card_price() == Decimal(card)
    assert item.price_before_discount == (Decimal(before) if before else None)
    assert item.in_stock is True
    assert item.stock_qty == stock
    assert item.rating == rating
    assert item.review_count == reviews
    assert page.rating_count() == ratings
    assert item.brand == brand
    assert item.category == category
    assert item.source == "product_page"
    assert len(item.response_sha256) == 64


SELLERS = [
    # sample, seller id (business id), name, rating, ratings counted
    (LAMP, "924574", "Яндекс Маркет", 4.7, 2884853),
    (HOCO_CARD, "93906795", '"HOCO"', 4.7, 1400),
    (WASHER, "83022309", "Яндекс Фабрика", 4.8, 1348206),
    (NO_RATING, "212038951", "Pioneer.24", 4.3, 697),
]


@pytest.mark.parametrize("row", SELLERS, ids=["lamp-2025", "card-2026", "washer", "no-rating"])
def test_product_page_seller(row):
    name, seller_id, seller_name, rating, count = row
    page = product_page(name)
    assert page.to_item(AT).seller_id == seller_id
    assert page.to_item(AT).seller_name == seller_name
    seller = page.to_seller(AT)
    assert seller.seller_id == seller_id
    assert seller.name == seller_name
    assert seller.rating == rating
    assert seller.review_count == count


def test_card_url_id_is_the_offer_sku_not_the_model_id():
    page = product_page(HOCO_CARD)
    assert page.url_id() == "4425435376"
    assert page.product_id() == "949549280"


def test_lamp_content_from_full_specs_and_description():
    content = product_page(LAMP).to_content(AT)
    assert content.product_id == "804002958"
    assert content.description.startswith("Умная Яндекс.Лампа YNDX-00019 позволяет дистанционно управлять")
    assert content.characteristics["Гарантийный срок"] == "1 г."
    assert content.characteristics["Протокол связи"] == "Wi-Fi"
    assert content.characteristics["Цвет товара"] == "белый"
    assert content.country_of_origin is None
    assert len(content.description_hash) == 64


def test_card_description_comes_from_product_card_meta_not_the_seo_blurb():
    description = product_page(HOCO_CARD).description()
    assert description.startswith("Наушники проводные предназначены для комфортного ежедневного использования.")
    assert "купить в интернет-магазине" not in description


# -- failures ----------------------------------------------------------------------------------------
def test_search_page_is_not_a_product_page():
    with pytest.raises(LayoutError, match="search page") as error:
        YandexMarketProductPage(real_response(SEARCH_WASHER))
    assert not isinstance(error.value, HollowShellError)


def test_page_without_patches_is_a_layout_error_not_a_hollow_shell():
    with pytest.raises(LayoutError, match="no apiary patches") as error:
        YandexMarketProductPage(real_response(SEARCH_EMPTY))
    assert not isinstance(error.value, HollowShellError)


def test_price_collection_with_its_price_keys_renamed_raises():
    response = real_response(HOCO_CARD)
    body = response.text.replace('"mainPrice"', '"otherPrice"').replace('"oldPrices"', '"otherOldPrices"')
    with pytest.raises(LayoutError, match="price collection without mainPrice and oldPrices"):
        YandexMarketProductPage(response.replace(body=body.encode("utf-8"))).to_item(AT)


# -- search pages ------------------------------------------------------------------------------------
def search_page(name: str) -> YandexMarketSearchPage:
    return YandexMarketSearchPage(real_response(name))


def test_search_washer_hits_and_total():
    page = search_page(SEARCH_WASHER)
    assert page.total() == 1434
    assert page.is_empty() is False
    hits = page.search_hits("стиральная машина", page=1, observed_at=AT)
    assert [h.product_id for h in hits] == ["763970960", "1130069667", "1772855866"]
    assert [h.position for h in hits] == [1, 2, 3]
    assert hits[0].product_name == ("Стиральная машина узкая Tuvio, инверторный мотор, 14 программ, функция стирки "
                                    "с паром, 6 кг, WFS64MW61")


SNIPPETS = [
    # product id, price, card price, seller id, seller, brand-free title start, stock, rating, ratings
    ("763970960", "22600", "16222", "83022309", "Яндекс Фабрика", "Стиральная машина узкая Tuvio", 999, 4.8, 544),
    ("1130069667", "28990", "20159", "923618", "Weissgauff", "Узкая стиральная машина Weissgauff", 4, 4.8, 8907),
    ("1772855866", "19590", "16532", "1190107", "Официальный магазин Indesit", "Стиральная машина Indesit", 88, 4.9,
     346),
]


@pytest.mark.parametrize("row", SNIPPETS, ids=[r[0] for r in SNIPPETS])
def test_search_washer_snippet_fields(row):
    product_id, price, card, seller_id, seller, title_start, stock, rating, ratings = row
    snippet = next(s for s in search_page(SEARCH_WASHER).snippets() if s["product_id"] == product_id)
    assert snippet["price"] == Decimal(price)
    assert snippet["card_price"] == Decimal(card)
    assert snippet["seller_id"] == seller_id
    assert snippet["seller_name"] == seller
    assert snippet["title"].startswith(title_start)
    assert snippet["stock_qty"] == stock
    assert snippet["rating"] == rating
    assert snippet["rating_count"] == ratings
    assert snippet["url"] == f"https://market.yandex.ru/product/{product_id}"


def test_search_next_page_url():
    url = search_page(SEARCH_WASHER).next_page_url()
    query = parse_qs(urlsplit(url).query)
    assert url.startswith("https://market.yandex.ru/search?")
    assert query["page"] == ["2"]
    assert query["text"] == ["стиральная машина"]


def test_search_iphone_collapses_offers_of_one_model():
    page = search_page(SEARCH_IPHONE)
    assert [s["product_id"] for s in page.snippets()] == ["1912483624", "1912483624", "5884422069"]
    hits = page.search_hits("iphone", page=2, observed_at=AT, offset=8)
    assert [h.product_id for h in hits] == ["1912483624", "5884422069"]
    assert [h.position for h in hits] == [9, 11]
    observations = page.observations(AT)
    assert [o.product_id for o in observations] == ["1912483624", "5884422069"]
    assert observations[0].price == Decimal("74711")


def test_search_empty_is_not_drift():
    page = search_page(SEARCH_EMPTY)
    assert page.is_empty() is True
    assert page.total() == 0
    assert page.search_hits("zzz", page=1, observed_at=AT) == []
    assert page.next_page_url() is None


def test_search_without_results_or_empty_marker_raises():
    response = HtmlResponse(url="https://market.yandex.ru/search?text=x", body=b"<html><body>?</body></html>",
                            encoding="utf-8")
    with pytest.raises(LayoutError, match="visibleEntityIds"):
        YandexMarketSearchPage(response)


# Hand-made cases (fixtures/pages/<case>/) are run by tests/test_page_cases.py (schema: page_cases.py).


def test_layout_errors_name_the_page_class_and_the_missing_price(monkeypatch):
    """Rows are built in the shared ProductPageRows base; errors still name the marketplace's page class."""
    page = YandexMarketProductPage(real_response(next(iter(URLS))))

    def broken():
        raise KeyError("productCardMeta")

    monkeypatch.setattr(page, "title", broken)
    with pytest.raises(LayoutError, match=r"^YandexMarketProductPage\.to_item: unexpected structure"):
        page.to_item(AT)
    monkeypatch.undo()
    monkeypatch.setattr(page, "price", lambda: None)
    monkeypatch.setattr(page, "in_stock", lambda: True)
    with pytest.raises(LayoutError, match=r"is not marked unavailable but has no price$"):
        page.to_item(AT)
