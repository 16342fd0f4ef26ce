"""The shared readers of JSON paths, JSON-LD and characteristic keys (``values.json_path``, ``values.json_ld``,
``values.characteristics``), table-driven, and the page objects of every marketplace reading through them.

Each row is a case seen on a marketplace or a drifted variant of one; a bug found later gets a row.
"""

from __future__ import annotations

import ast
import copy
import json
from pathlib import Path

import pytest
from sample_files import ROOT, json_response, real_sample
from scrapy.http import HtmlResponse

from marketplace_spiders.marketplaces.ozon.pages import OzonProductDetailsPage, OzonProductPage, OzonWidgetStates
from marketplace_spiders.marketplaces.wildberries.pages import WbBasketCardPage
from marketplace_spiders.marketplaces.yandex_market.pages.state import json_ld
from marketplace_spiders.pages.errors import LayoutError
from marketplace_spiders.values import (
    COUNTRY_KEYS,
    MANUFACTURER_KEYS,
    characteristic,
    country_of_origin,
    get,
    ld_first,
    ld_from_composer,
    ld_from_html,
    manufacturer,
    parse_ld,
)

OZON_PRODUCT = "ozon/krein15_fixtures/ozon_product.json"
WB_CARD = "wildberries/basket_card_json__compact__RuslanTelnov_179790764.json"
DATA = {"a": {"b": [{"c": 1}, {"c": 2}], "s": "text", "n": None}}


# -- get ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("path", "expected"), [
    (("a", "b", 1, "c"), 2),
    (("a", "b", 0), {"c": 1}),
    ((), DATA),
    (("a", "missing"), None),
    (("a", "b", 2), None),                      # past the end of the list
    (("a", "b", -1), None),                     # a negative index is no position a page states
    (("a", "s", "c"), None),                    # a key into text
    (("a", "s", 0), None),                      # an index into text, not its first character
    (("a", "b", "c"), None),                    # a key into a list
    (("a", 0), None),                           # an index into an object
    (("a", "n", "c"), None),                    # through null
], ids=["nested", "list_item", "no_path", "missing_key", "past_end", "negative_index", "key_into_text",
        "index_into_text", "key_into_list", "index_into_object", "through_null"])
def test_get_reads_a_path_or_none(path, expected):
    assert get(DATA, *path) == expected


def test_get_refuses_a_step_that_is_no_key_nor_index():
    with pytest.raises(TypeError):
        get(DATA, "a", 1.0)
    with pytest.raises(TypeError):  # a bool is an int to Python, never a list position
        get({"a": [1, 2]}, "a", True)


# -- characteristics ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("chars", "keys", "expected"), [
    ({"Страна производства": "КНДР"}, COUNTRY_KEYS, "КНДР"),
    ({"Страна-изготовитель": "Китай", "Страна производства": "КНДР"}, COUNTRY_KEYS, "КНДР"),
    ({"Страна производства": "КНДР", "Страна-изготовитель": "Китай"}, COUNTRY_KEYS, "КНДР"),
    ({"Страна происхождения": "КНДР", "Страна изготовления": "Россия"}, COUNTRY_KEYS, "Россия"),
    ({"страна ПРОИЗВОДСТВА": "КНДР"}, COUNTRY_KEYS, "КНДР"),
    ({" Страна  производства ": "КНДР"}, COUNTRY_KEYS, "КНДР"),
    ({"Страна": "КНДР"}, COUNTRY_KEYS, None),
    ({}, COUNTRY_KEYS, None),
    ({"Изготовитель": "B", "Производитель": "A"}, MANUFACTURER_KEYS, "A"),
    ({"Фабрика-производитель": "C"}, MANUFACTURER_KEYS, "C"),
    ({"Страна производства": "КНДР", "страна производства": "Китай"}, COUNTRY_KEYS, "КНДР"),
], ids=["one_key", "production_before_maker_country", "order_of_keys_not_of_page", "made_before_origin",
        "case_insensitive", "spaces_insensitive", "other_name", "empty", "manufacturer_order",
        "factory", "same_name_twice_first_written"])
def test_characteristic_takes_the_first_key_in_the_documented_order(chars, keys, expected):
    assert characteristic(chars, keys) == expected


def test_country_and_manufacturer_readers_use_the_shared_keys():
    chars = {"Изготовитель": "Завод", "Страна-изготовитель": "КНДР"}
    assert (country_of_origin(chars), manufacturer(chars)) == ("КНДР", "Завод")


def _wb_card(options: list[dict]) -> WbBasketCardPage:
    card = json.loads(real_sample(WB_CARD).read_bytes())
    card["options"] = [o for o in card["options"] if o["name"] not in COUNTRY_KEYS] + options
    for group in card.get("grouped_options") or []:
        group["options"] = [o for o in group["options"] if o["name"] not in COUNTRY_KEYS]
    return WbBasketCardPage(json_response("https://basket-12.wbbasket.ru/vol1797/part179790/179790764/info/ru/card.json",
                                          json.dumps(card, ensure_ascii=False).encode()))


def _ozon_details(items: list[dict]) -> OzonProductDetailsPage:
    page = json.loads(real_sample(OZON_PRODUCT).read_bytes())
    state = {"characteristics": [{"title": "Общие", "short": items}]}
    page["widgetStates"] = {"webCharacteristics-939965-pdpPage2column-2": json.dumps(state, ensure_ascii=False)}
    url = ("https://www.ozon.ru/api/composer-api.bx/page/json/v2?url=/product/x-5413206766/"
           "?layout_container=pdpPage2column&layout_page_index=2")
    return OzonProductDetailsPage(json_response(url, json.dumps(page, ensure_ascii=False).encode()))


def test_a_product_stating_two_country_names_gives_one_country_on_every_marketplace():
    """Ozon read "Страна-изготовитель" first, Wildberries and Market "Страна производства": the same product
    data gave two countries. Now every page object asks the shared keys in one order."""
    wb = _wb_card([{"name": "Страна-изготовитель", "value": "Китай"}, {"name": "Страна производства", "value": "КНДР"}])
    ozon = _ozon_details([{"key": "Country", "name": "Страна-изготовитель", "values": [{"text": "Китай"}]},
                          {"key": "Made", "name": "Страна производства", "values": [{"text": "КНДР"}]}])
    assert wb.country_of_origin() == ozon.country_of_origin() == "КНДР"


MARKETPLACE_PAGES = sorted((ROOT / "marketplace_spiders" / "marketplaces").glob("*/pages/*.py"))
SHARED_NAMES = {"COUNTRY_KEYS", "MANUFACTURER_KEYS", "get", "_get", "first_key", "_first_key", "_characteristic",
                "_first", "_ld_objects"}


@pytest.mark.parametrize("path", MARKETPLACE_PAGES, ids=[str(p.relative_to(ROOT)) for p in MARKETPLACE_PAGES])
def test_page_modules_define_no_copy_of_a_shared_reader(path: Path):
    tree = ast.parse(path.read_text("utf-8"))
    defined = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    defined |= {target.id for node in ast.walk(tree) if isinstance(node, ast.Assign)
                for target in node.targets if isinstance(target, ast.Name)}
    assert not defined & SHARED_NAMES, f"{path.name} defines its own {sorted(defined & SHARED_NAMES)}"
    assert "application/ld+json" not in path.read_text("utf-8")


# -- JSON-LD -----------------------------------------------------------------------------------------
PRODUCT = {"@type": "Product", "name": "Корё"}
CRUMBS = {"@type": "BreadcrumbList"}


@pytest.mark.parametrize(("text", "expected"), [
    (json.dumps(PRODUCT), [PRODUCT]),
    (json.dumps([PRODUCT, CRUMBS]), [PRODUCT, CRUMBS]),
    (json.dumps({"@context": "https://schema.org", "@graph": [PRODUCT, CRUMBS]}),
     [{"@context": "https://schema.org", "@graph": [PRODUCT, CRUMBS]}, PRODUCT, CRUMBS]),
    (json.dumps([{"@graph": [{"@graph": [PRODUCT]}]}]), [{"@graph": [{"@graph": [PRODUCT]}]}, {"@graph": [PRODUCT]},
                                                         PRODUCT]),
    (json.dumps(["text", 5, None, PRODUCT]), [PRODUCT]),
    ("", []),
    ("  \n", []),
    (PRODUCT, [PRODUCT]),  # composer JSON that carries the object already parsed
    (None, []),
], ids=["object", "list", "graph", "nested_graph", "non_objects_skipped", "empty", "blank", "parsed", "none"])
def test_parse_ld_flattens_objects_lists_and_graphs(text, expected):
    assert parse_ld(text) == expected


@pytest.mark.parametrize("text", ['{"@type": "Product", "name": "Ко', "{'@type': 'Product'}", "<p>not json</p>"],
                         ids=["truncated", "single_quotes", "markup"])
def test_parse_ld_refuses_a_block_that_is_not_json(text):
    with pytest.raises(LayoutError, match="not valid JSON"):
        parse_ld(text)


@pytest.mark.parametrize(("objects", "kind", "expected"), [
    ([CRUMBS, PRODUCT], "Product", PRODUCT),
    ([{"@type": ["Product", "Drug"], "name": "x"}], "Product", {"@type": ["Product", "Drug"], "name": "x"}),
    ([CRUMBS], "Product", {}),
], ids=["by_type", "type_list", "absent"])
def test_ld_first_finds_the_first_object_of_a_type(objects, kind, expected):
    assert ld_first(objects, kind) == expected


def _html(body: str) -> HtmlResponse:
    return HtmlResponse(url="https://market.yandex.ru/product--x/1", body=body.encode(), encoding="utf-8")


def test_ld_from_html_reads_every_block_in_page_order():
    page = _html(f'<html><head><script type="application/ld+json">{json.dumps(CRUMBS)}</script>'
                 f'<script type="application/ld+json">{json.dumps({"@graph": [PRODUCT]})}</script>'
                 '<script type="text/javascript">var x = {</script></head></html>')
    assert ld_from_html(page) == [CRUMBS, {"@graph": [PRODUCT]}, PRODUCT]


def test_market_json_ld_in_a_graph_is_read():
    """Market's reader took only top-level objects: a Product inside ``@graph`` was not seen."""
    page = _html(f'<html><script type="application/ld+json">{json.dumps({"@graph": [CRUMBS, PRODUCT]})}'
                 '</script></html>')
    assert ld_first(json_ld(page), "Product") == PRODUCT


def test_ld_from_composer_reads_ld_scripts_only():
    data = {"seo": {"script": [{"type": "application/ld+json", "innerHTML": json.dumps(PRODUCT)},
                               {"type": "text/javascript", "innerHTML": "window.x = {"},
                               {"innerHTML": json.dumps(CRUMBS)}]}}
    assert ld_from_composer(data) == [PRODUCT, CRUMBS]
    assert ld_from_composer({"seo": {"script": "not a list"}}) == []
    assert ld_from_composer({}) == []


def _ozon_with_ld(inner_html: str) -> dict:
    page = json.loads(real_sample(OZON_PRODUCT).read_bytes())
    page = copy.deepcopy(page)
    page["seo"]["script"][0]["innerHTML"] = inner_html
    return page


def test_ozon_composer_json_ld_cut_mid_block_is_a_layout_error():
    """Ozon's reader dropped a JSON-LD block that was not JSON and went on without it (description, rating and
    SKU fallbacks silently gone); the shared reader refuses the page."""
    real = json.loads(real_sample(OZON_PRODUCT).read_bytes())["seo"]["script"][0]["innerHTML"]
    url = "https://www.ozon.ru/api/composer-api.bx/page/json/v2?url=/product/5413206766/"
    body = json.dumps(_ozon_with_ld(real[: len(real) // 2]), ensure_ascii=False).encode()
    with pytest.raises(LayoutError, match="seo.script\\[0\\].innerHTML is not valid JSON"):
        OzonProductPage(json_response(url, body))


def test_ozon_real_composer_json_ld_is_read():
    url = "https://www.ozon.ru/api/composer-api.bx/page/json/v2?url=/product/5413206766/"
    states = OzonWidgetStates.from_response(json_response(url, real_sample(OZON_PRODUCT).read_bytes()))
    assert states.ld_product()["brand"] == "Zuzy"
