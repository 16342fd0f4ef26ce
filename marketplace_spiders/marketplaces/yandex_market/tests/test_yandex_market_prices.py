"""Yandex Market price sources (pages/prices.py): the evidence on the real
samples that decides which source means which price, and the rules on shapes no sample shows."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sample_files import real_sample
from scrapy.http import HtmlResponse

from marketplace_spiders.marketplaces.yandex_market.pages import YandexMarketProductPage
from marketplace_spiders.marketplaces.yandex_market.pages.prices import (
    from_price_collection,
    from_snippet,
    read_product_prices,
)
from marketplace_spiders.marketplaces.yandex_market.pages.state import get
from marketplace_spiders.pages.errors import LayoutError
from marketplace_spiders.values import Money

PRODUCT_SAMPLES = [
    "yandex_market_product_page_2025-05__roman-shvetsov.html",
    "krein15_fixtures/ym_card.html",
    "ru-marketplace-mcp_fixtures/card_washer.html",
    "ru-marketplace-mcp_fixtures/card_no_rating.html",
]


def _page(name: str) -> YandexMarketProductPage:
    body = real_sample(f"yandex_market/{name}").read_bytes()
    return YandexMarketProductPage(HtmlResponse(url="https://market.yandex.ru/", body=body, encoding="utf-8"))


@pytest.mark.parametrize("name", PRODUCT_SAMPLES)
def test_json_ld_offer_price_is_the_card_price_on_every_real_sample(name):
    """Why JSON-LD offers.price is never a fallback for the price column."""
    page = _page(name)
    assert Decimal(str(get(page.ld_product, "offers", "price"))) == page.card_price()
    assert page.card_price() < page.price()
    assert page.currency() == "RUB"


def test_ecommerce_price_is_the_regular_price_on_the_2025_page():
    """Why ``ecommerce.price`` is an allowed fallback (the only sample that has it)."""
    page = _page(PRODUCT_SAMPLES[0])
    assert Decimal(page._entity("ecommerce")["price"]) == page.price() == Decimal("989")


@pytest.mark.parametrize("name", PRODUCT_SAMPLES[2:])
def test_product_snippet_old_price_is_the_regular_price(name):
    """Why the product snippet is an allowed fallback when the price collection is missing."""
    page = _page(name)
    snippet = from_snippet(get(page._snippet(), "productPayload", "price"))
    assert (snippet.price.amount, snippet.card.amount) == (page.price(), page.card_price())


def _rur(value):
    return {"value": value, "currency": "RUR"}


def test_main_price_without_a_card_subtype_is_the_price():
    prices = from_price_collection({"mainPrice": {"price": _rur(500)}, "oldPrices": [
        {"price": _rur(700), "type": "withoutDiscount"}]})
    assert (prices.price, prices.before, prices.card) == (Money(Decimal(500), "RUB"), Money(Decimal(700), "RUB"),
                                                         None)


@pytest.mark.parametrize("main", [
    {"price": _rur(180), "type": "extraDiscount"},  # a discount price whose card subtype is gone
    {"price": _rur(180), "type": "extraDiscount", "subtype": "sber-card"},  # an unknown subtype
])
def test_main_price_of_an_unknown_kind_is_not_the_price(main):
    with pytest.raises(LayoutError, match="no known regular price"):
        from_price_collection({"mainPrice": main, "oldPrices": []})


def test_old_prices_entry_without_a_type_is_an_error():
    with pytest.raises(LayoutError, match="without type or price"):
        from_price_collection({"mainPrice": {"price": _rur(180), "subtype": "ya-card"},
                               "oldPrices": [{"price": _rur(251)}]})


def test_snippet_actual_price_without_the_card_suffix_is_not_read_as_a_price():
    with pytest.raises(LayoutError, match="suffix"):
        from_snippet({"actualPrice": {"amount": {"intPart": "180", "currency": "RUR"}}})


def test_without_a_price_collection_the_snippet_wins_over_ecommerce():
    snippet = {"actualPrice": {"amount": {"intPart": "180", "currency": "RUR"}, "suffix": "YA_PAY"},
               "oldPrice": {"amount": {"intPart": "251", "currency": "RUR"}}}
    prices = read_product_prices({}, snippet, {"price": 999, "currency": "RUR"})
    assert (prices.price.amount, prices.source) == (Decimal(251), "product snippet")
    assert read_product_prices({}, None, {"price": 989, "currency": "RUR"}).price == Money(Decimal(989), "RUB")
