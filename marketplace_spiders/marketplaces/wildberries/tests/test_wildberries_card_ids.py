"""A basket card.json's nm_id and selling.supplier_id are ints or digit strings; any other type is a
LayoutError, never its str() ('True', '[563333]') stored as an id. The real sample with only those values changed."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sample_files import real_sample
from scrapy.http import TextResponse

from marketplace_spiders.marketplaces.wildberries.pages import WbBasketCardPage
from marketplace_spiders.pages.errors import LayoutError

AT = datetime(2026, 11, 1, tzinfo=UTC)
SAMPLE = "wildberries/basket_card_json__compact__RuslanTelnov_179790764.json"
URL = "https://basket-12.wbbasket.ru/vol1797/part179790/179790764/info/ru/card.json"


def card(**changes) -> TextResponse:
    document = json.loads(real_sample(SAMPLE).read_text("utf-8"))
    if "nm_id" in changes:
        document["nm_id"] = changes["nm_id"]
    if "supplier_id" in changes:
        document["selling"]["supplier_id"] = changes["supplier_id"]
    if "selling" in changes:
        document["selling"] = changes["selling"]
    return TextResponse(URL, body=json.dumps(document).encode(), encoding="utf-8")


def content(**changes):
    return WbBasketCardPage(card(**changes)).to_content(AT)


def test_real_card_ids():
    item = content()
    assert (item.product_id, item.seller_id) == ("179790764", "563333")


def test_ids_sent_as_digit_strings_are_read():
    item = content(nm_id="179790764", supplier_id=" 563333 ")
    assert (item.product_id, item.seller_id) == ("179790764", "563333")


def test_absent_supplier_id_is_none():
    assert content(supplier_id=None).seller_id is None


@pytest.mark.parametrize("value", [True, False, [179790764], {"value": 179790764}, 1797.5, "179790764x", "",
                                   -179790764, "١٢٣"])
def test_wrongly_typed_nm_id_is_a_layout_error(value):
    with pytest.raises(LayoutError, match="nm_id"):
        content(nm_id=value)


@pytest.mark.parametrize("value", [True, [563333], {"value": 563333}, 563.5, "563333x", -1, "٥٦٣"])
def test_wrongly_typed_supplier_id_is_a_layout_error(value):
    with pytest.raises(LayoutError, match="supplier_id"):
        content(supplier_id=value)


@pytest.mark.parametrize("selling", [["x"], "CupCraft", 563333])
def test_selling_that_is_not_an_object_is_a_layout_error(selling):
    with pytest.raises(LayoutError):
        content(selling=selling)
