"""Ozon values an analyst can trust (issue: drifted pages give the right value or a loud error): prices with
the currency the page states, the seller block and its identifiers, stock only from the stock-bar atom, search
pages that say they have results but yield none. On the real captures, edited in place where a case needs it."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sample_files import real_sample
from scrapy.http import TextResponse
from test_ozon_pages import (
    AT,
    BOTASS_PRODUCT,
    KARTINA_SEARCH,
    KREIN_PRODUCT,
    KREIN_SEARCH,
    MCP_SEARCH,
    URLS,
    _edited_krein_product,
    product_page,
    search_page,
)

from marketplace_spiders.marketplaces.ozon.pages import OzonProductPage, OzonSearchPage, is_stock_atom, listed_price
from marketplace_spiders.pages.errors import LayoutError
from marketplace_spiders.values import parse_count
from marketplace_spiders.values.identifiers import complete_inn, complete_ogrn


# -- money and counts (the shared readers, on the strings Ozon shows) --------------------------------
@pytest.mark.parametrize(("text", "expected", "currency"), [
    ("6\u2009815\u2009₽", "6815.00", "RUB"),    # SSR webPrice: U+2009 thin spaces
    ("1 631 ₽", "1631.00", "RUB"),               # composer webPrice: plain spaces
    ("203\u2009500\xa0₽", "203500.00", "RUB"),   # thin space + NBSP before the sign
    ("1\xa0298,00 ₽", "1298.00", "RUB"),         # NBSP thousands, comma decimals
    ("17 940,00 руб", "17940.00", "RUB"),
    ("12\u2009990\u2009₸", "12990.00", "KZT"),   # the tenge is kept, never stored as roubles
    (1631, "1631.00", "RUB"),                    # a number: the page states no currency
    ("", None, None),
    (None, None, None),
])
def test_listed_price(text, expected, currency):
    money = listed_price(text, "test")
    if expected is None:
        assert money is None
    else:
        assert (money.amount, money.currency) == (Decimal(expected), currency)


@pytest.mark.parametrize(("text", "expected"), [
    ("1\u2009300\xa0отзывов", 1300),   # composer tile labels: thin space + NBSP
    ("339\xa0отзывов", 339),
    ("151 отзыв", 151),
    ("151", 151),                      # webReviewProductScore.reviewsCount sent as a string
    (151, 151),
    ("отзывов нет", None),
])
def test_counts_as_ozon_shows_them(text, expected):
    assert parse_count(text) == expected


@pytest.mark.parametrize("text", ["Нет в наличии", "-500 ₽", "0 ₽", "−1\u2009200 ₽"])
def test_listed_price_that_is_no_price_or_not_positive_raises(text):
    with pytest.raises(LayoutError):
        listed_price(text, "test")


def test_listed_price_in_another_currency_than_the_page_states_raises():
    with pytest.raises(LayoutError, match="KZT"):
        listed_price("12 990 ₸", "test", stated_currency="RUB")


# -- seller block, stock atom, currencies (drift classes; the drift cases are in test_ozon_drift.py) ------
def _edit_seller(data, edit):
    key = next(k for k in data["widgetStates"] if k.startswith("webCurrentSeller-"))
    state = json.loads(data["widgetStates"][key])
    data["widgetStates"][key] = json.dumps(edit(state), ensure_ascii=False)


def test_seller_link_and_the_blocks_own_seller_id_disagreeing_raises():
    def other_id(state):
        state["header"]["badge"]["subscribed"]["common"]["action"]["params"]["sellerId"] = "1111111"
        return state

    page = OzonProductPage(_edited_krein_product(lambda data: _edit_seller(data, other_id)))
    with pytest.raises(LayoutError, match="disagree"):
        page.to_item(AT)


def test_an_empty_seller_widget_is_no_seller_block():
    page = OzonProductPage(_edited_krein_product(lambda data: _edit_seller(data, lambda state: {})))
    assert page.to_seller(AT) is None
    assert page.to_item(AT).seller_id is None


def test_a_12_digit_inn_in_the_product_pages_tooltip_is_read_whole():
    inn = complete_inn("2461000000")

    def add_inn(state):
        factor = next(f for f in state["trustFactors"] if f["tooltip"].get("qaId") == "about-seller-tooltip")
        factor["tooltip"]["subtitle"].append({"type": "text", "content": f"ИНН: {inn}"})
        return state

    seller = OzonProductPage(_edited_krein_product(lambda data: _edit_seller(data, add_inn))).to_seller(AT)
    assert (seller.inn, seller.ogrn, seller.legal_id_rejects) == (inn, "324246800141248", None)


@pytest.mark.parametrize(("automation_id", "expected"), [
    ("tile-blackFridayStockbar", True),          # composer tiles (krein15, ru-marketplace-mcp)
    ("tile-list-black-friday-stockbar", True),   # SSR label lists (botass740)
    ("tile-name", False),                        # the seller's title: never a stock source
    ("tile-list-paid-brand", False),
    (None, False),
])
def test_stock_atom_is_known_by_its_automation_id(automation_id, expected):
    assert is_stock_atom(automation_id) is expected


@pytest.mark.parametrize("name", [KARTINA_SEARCH, MCP_SEARCH, KREIN_SEARCH])
def test_real_search_tiles_state_roubles_and_can_be_ordered(name):
    rows = search_page(name).observations(AT)
    assert rows and {r.currency for r in rows} == {"RUB"}
    assert all(r.in_stock is True and r.price > 0 for r in rows)


@pytest.mark.parametrize("name", [BOTASS_PRODUCT, KREIN_PRODUCT])
def test_product_page_currency_is_the_json_ld_one(name):
    page = product_page(name)
    assert page.states.ld_product()["offers"]["priceCurrency"] == "RUB"
    assert page.to_item(AT).currency == "RUB"


def test_numbers_outside_the_about_seller_tooltip_are_not_the_sellers_identifiers():
    other = complete_ogrn("102770013219")

    def text_in_orders_tooltip(state):
        factor = next(f for f in state["trustFactors"] if f["tooltip"].get("qaId") == "order-tooltip")
        factor["tooltip"]["subtitle"] = [{"type": "text", "content": f"Поставщик: ООО «Другое», ОГРН {other}"}]
        return state

    page = OzonProductPage(_edited_krein_product(lambda data: _edit_seller(data, text_in_orders_tooltip)))
    seller = page.to_seller(AT)
    assert (seller.ogrn, seller.legal_name, seller.legal_id_rejects) == (
        "324246800141248", "ИП Черков Александр Александрович", None)


def _edited_krein_search(edit) -> TextResponse:
    data = json.loads(real_sample(f"ozon/{KREIN_SEARCH}").read_bytes())
    edit(data)
    return TextResponse(url=URLS[KREIN_SEARCH], body=json.dumps(data, ensure_ascii=False).encode(), encoding="utf-8")


def _edit_widget(data, prefix, edit):
    key = next(k for k in data["widgetStates"] if k.startswith(prefix + "-"))
    state = json.loads(data["widgetStates"][key])
    edit(state)
    data["widgetStates"][key] = json.dumps(state, ensure_ascii=False)


def test_search_without_tiles_whose_stated_total_is_above_zero_raises():
    def empty_but_counted(data):
        _edit_widget(data, "tileGridDesktop", lambda grid: grid.update(items=[], totalFound="37"))
        _edit_widget(data, "infiniteVirtualPaginator", lambda paginator: paginator.update(nextPage=""))

    page = OzonSearchPage(_edited_krein_search(empty_but_counted))
    with pytest.raises(LayoutError, match=r"grid\.totalFound = 37"):
        page.search_hits("x", 1, AT)


def test_search_without_tiles_but_with_a_next_page_raises():
    page = OzonSearchPage(_edited_krein_search(
        lambda data: _edit_widget(data, "tileGridDesktop", lambda grid: grid.update(items=[]))))
    with pytest.raises(LayoutError, match="next page"):
        page.tiles()


@pytest.mark.parametrize("state", ['"1 631 ₽"', "[]", "true", "null"], ids=["string", "list", "bool", "null"])
def test_a_price_widget_whose_state_is_not_an_object_raises(state):
    def replace_state(data):
        key = next(k for k in data["widgetStates"] if k.startswith("webPrice-"))
        data["widgetStates"][key] = state

    page = OzonProductPage(_edited_krein_product(replace_state))
    with pytest.raises(LayoutError, match="not a JSON object"):
        page.to_item(AT)


def test_a_crossed_out_price_the_widget_says_it_shows_but_lacks_raises():
    def drop_original(data):
        _edit_widget(data, "webPrice", lambda state: state.pop("originalPrice"))

    page = OzonProductPage(_edited_krein_product(drop_original))
    assert page.states.first("webPrice")["showOriginalPrice"] is True
    with pytest.raises(LayoutError, match="showOriginalPrice"):
        page.to_item(AT)
