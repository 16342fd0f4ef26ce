"""Property-based fuzzing of every page object: truncated, garbled, wrongly typed, wrongly encoded, empty and
huge inputs either give items or raise LayoutError (which the spider logs, counts and quarantines) — never
any other exception. The default suite runs a bounded number of examples; `make bench` runs more
(FUZZ_EXAMPLES)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sample_files import FIXTURES, real_sample
from scrapy.http import HtmlResponse, TextResponse

from marketplace_spiders.pages import ozon, wildberries, yandex_market
from marketplace_spiders.pages.errors import LayoutError

AT = datetime(2026, 11, 1, tzinfo=UTC)
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))


def wb_detail(r):
    return wildberries.WbDetailPage(r).observations([1280469586, 1], AT)


def wb_search(r):
    return wildberries.WbSearchPage(r).search_hits("x", 1, 100, AT)


def wb_card(r):
    return wildberries.WbBasketCardPage(r).to_content(AT)


def wb_supplier(r):
    return wildberries.WbSupplierPage(r).to_seller(AT)


def wb_profile(r):
    seller = wildberries.WbSupplierPage(
        TextResponse("https://x/s.json", body=b'{"supplierId": 350748670}', encoding="utf-8")).to_seller(AT)
    return wildberries.WbSupplierProfilePage(r).fill(seller)


def wb_upstreams(r):
    return wildberries.BasketRouter.from_upstreams(r).host_for(179790764)


def ozon_product(r):
    page = ozon.OzonProductPage(r)
    return page.to_item(AT), page.to_seller(AT), page.to_content(AT)


def ozon_search(r):
    page = ozon.OzonSearchPage(r)
    return page.search_hits("x", 1, AT), page.next_page_url()


def ozon_seller_legal(r):
    return ozon.OzonSellerLegalPage(r, "3330001").to_seller(AT)


def ym_product(r):
    page = yandex_market.YandexMarketProductPage(r)
    return page.to_item(AT), page.to_seller(AT), page.to_content(AT)


def ym_search(r):
    page = yandex_market.YandexMarketSearchPage(r)
    return page.search_hits("x", 1, AT), page.next_page_url()


CASES = [
    (wb_detail, "wildberries/ru-marketplace-mcp_fixtures/card_v4_live.json", "https://card.wb.ru/cards/v4/detail?nm=1"),
    (wb_search, "wildberries/ru-marketplace-mcp_fixtures/search_v9_live.json",
     "https://search.wb.ru/exactmatch/ru/common/v9/search?query=x"),
    (wb_card, "wildberries/basket_card_json__compact__RuslanTelnov_179790764.json",
     "https://basket-12.wbbasket.ru/vol1797/part179790/179790764/info/ru/card.json"),
    (wb_supplier, "wildberries/BlankTrail_testdata/supplier-static.json",
     "https://static-basket-01.wbbasket.ru/vol0/data/supplier-by-id/350748670.json"),
    (wb_profile, "wildberries/BlankTrail_testdata/seller.json",
     "https://suppliers-shipment-2.wildberries.ru/api/v1/suppliers/350748670?curr=RUB"),
    (wb_upstreams, "wildberries/BlankTrail_testdata/upstreams.json", "https://cdn.wbbasket.ru/api/v3/upstreams"),
    (ozon_product, "ozon/krein15_fixtures/ozon_product.json",
     "https://www.ozon.ru/api/composer-api.bx/page/json/v2?url=/product/5413206766/"),
    (ozon_search, "ozon/krein15_fixtures/ozon_search.json",
     "https://www.ozon.ru/api/composer-api.bx/page/json/v2?url=/search/?text=x"),
    # no real capture of this endpoint exists: the reconstructed fixture (its meta.json says so)
    (ozon_seller_legal, "fixtures/ozon/pages/seller_legal_info/body.json",
     "https://www.ozon.ru/api/entrypoint-api.bx/page/json/v2?url=/modal/shop-in-shop-info"),
    (ym_product, "yandex_market/ru-marketplace-mcp_fixtures/card_washer.html",
     "https://market.yandex.ru/product--x/1"),
    (ym_search, "yandex_market/ru-marketplace-mcp_fixtures/search_washer.html",
     "https://market.yandex.ru/search?text=x"),
]
IDS = [case[0].__name__ for case in CASES]


def sample_path(sample: str) -> Path:
    """A real sample (path under shared/real-samples), or a project fixture (path starting with fixtures/)."""
    if sample.startswith("fixtures/"):
        return FIXTURES.parent / sample
    return real_sample(sample)


def respond(url: str, body: bytes, encoding: str = "utf-8") -> TextResponse:
    cls = HtmlResponse if url.startswith("https://market.yandex.ru") else TextResponse
    return cls(url=url, body=body, encoding=encoding)


def survives(parse, url: str, body: bytes, encoding: str = "utf-8") -> None:
    try:
        parse(respond(url, body, encoding))
    except LayoutError:
        pass  # the spider logs it, counts it and keeps the body for inspection


def json_values():
    return st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
        lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
        max_leaves=6,
    )


def _paths(node, prefix=()):
    if isinstance(node, dict):
        for key, value in node.items():
            yield prefix + (key,)
            yield from _paths(value, prefix + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node[:3]):
            yield prefix + (index,)
            yield from _paths(value, prefix + (index,))


def _replace(node, path, value):
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value


FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.mark.parametrize("parse, sample, url", CASES, ids=IDS)
@FUZZ
@given(data=st.data())
def test_truncated_and_garbled(parse, sample, url, data):
    body = sample_path(sample).read_bytes()
    cut = data.draw(st.integers(0, len(body)))
    survives(parse, url, body[:cut])
    flips = data.draw(st.lists(st.tuples(st.integers(0, len(body) - 1), st.integers(0, 255)), max_size=8))
    garbled = bytearray(body)
    for position, value in flips:
        garbled[position] = value
    survives(parse, url, bytes(garbled))


@pytest.mark.parametrize("parse, sample, url", [c for c in CASES if c[1].endswith(".json")],
                         ids=[i for i, c in zip(IDS, CASES, strict=True) if c[1].endswith(".json")])
@FUZZ
@given(data=st.data())
def test_wrongly_typed_values(parse, sample, url, data):
    document = json.loads(sample_path(sample).read_text("utf-8"))
    for _ in range(data.draw(st.integers(1, 4))):
        paths = list(_paths(document))  # again after each change: a replaced branch has no old paths
        if not paths:
            break
        _replace(document, data.draw(st.sampled_from(paths)), data.draw(json_values()))
    survives(parse, url, json.dumps(document).encode())


@pytest.mark.parametrize("parse, sample, url", CASES, ids=IDS)
@pytest.mark.parametrize("variant", ["empty", "whitespace", "null", "list", "cp1251", "huge", "binary"])
def test_edge_bodies(parse, sample, url, variant):
    body = sample_path(sample).read_bytes()
    bodies = {
        "empty": (b"", "utf-8"),
        "whitespace": (b" \n\t ", "utf-8"),
        "null": (b"null", "utf-8"),
        "list": (b"[]", "utf-8"),
        "cp1251": (body.decode("utf-8").encode("cp1251", "replace"), "cp1251"),
        "huge": (body + b" " * (8 * 1024 * 1024), "utf-8"),
        "binary": (bytes(range(256)) * 64, "utf-8"),
    }
    data, encoding = bodies[variant]
    survives(parse, url, data, encoding)
