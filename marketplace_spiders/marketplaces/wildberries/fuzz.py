"""The Wildberries page objects and the real inputs tests/test_fuzz_pages.py garbles (the registry's fuzz cases)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from scrapy.http import TextResponse

from marketplace_spiders.marketplaces.descriptor import FuzzCase
from marketplace_spiders.marketplaces.wildberries import pages

AT = datetime(2026, 11, 1, tzinfo=UTC)


def wb_detail(r: TextResponse) -> Any:
    return pages.WbDetailPage(r).observations([1280469586, 1], AT)


def wb_search(r: TextResponse) -> Any:
    return pages.WbSearchPage(r).search_hits("x", 1, 100, AT)


def wb_card(r: TextResponse) -> Any:
    return pages.WbBasketCardPage(r).to_content(AT)


def wb_supplier(r: TextResponse) -> Any:
    return pages.WbSupplierPage(r).to_seller(AT)


def wb_profile(r: TextResponse) -> Any:
    seller = pages.WbSupplierPage(
        TextResponse("https://x/s.json", body=b'{"supplierId": 350748670}', encoding="utf-8")).to_seller(AT)
    return pages.WbSupplierProfilePage(r).fill(seller)


def wb_upstreams(r: TextResponse) -> Any:
    return pages.BasketRouter.from_upstreams(r).host_for(179790764)


CASES = (
    FuzzCase("wb_detail", wb_detail, "real_samples/ru-marketplace-mcp_fixtures/card_v4_live.json",
             "https://card.wb.ru/cards/v4/detail?nm=1"),
    FuzzCase("wb_search", wb_search, "real_samples/ru-marketplace-mcp_fixtures/search_v9_live.json",
             "https://search.wb.ru/exactmatch/ru/common/v9/search?query=x"),
    FuzzCase("wb_card", wb_card, "real_samples/basket_card_json__compact__RuslanTelnov_179790764.json",
             "https://basket-12.wbbasket.ru/vol1797/part179790/179790764/info/ru/card.json"),
    FuzzCase("wb_supplier", wb_supplier, "real_samples/BlankTrail_testdata/supplier-static.json",
             "https://static-basket-01.wbbasket.ru/vol0/data/supplier-by-id/350748670.json"),
    FuzzCase("wb_profile", wb_profile, "real_samples/BlankTrail_testdata/seller.json",
             "https://suppliers-shipment-2.wildberries.ru/api/v1/suppliers/350748670?curr=RUB",
             seller_text=False),  # ratings and counts only
    FuzzCase("wb_upstreams", wb_upstreams, "real_samples/BlankTrail_testdata/upstreams.json",
             "https://cdn.wbbasket.ru/api/v3/upstreams",
             seller_text=False, mutate=False),  # the routing table
)
