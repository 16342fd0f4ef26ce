"""The Yandex Market page objects and the real inputs tests/test_fuzz_pages.py garbles (the registry's fuzz
cases)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from scrapy.http import TextResponse

from marketplace_spiders.marketplaces.descriptor import FuzzCase
from marketplace_spiders.marketplaces.yandex_market import pages

AT = datetime(2026, 11, 1, tzinfo=UTC)


def ym_product(r: TextResponse) -> Any:
    page = pages.YandexMarketProductPage(r)
    return page.to_item(AT), page.to_seller(AT), page.to_content(AT)


def ym_search(r: TextResponse) -> Any:
    page = pages.YandexMarketSearchPage(r)
    return page.search_hits("x", 1, AT), page.next_page_url()


CASES = (
    FuzzCase("ym_product", ym_product, "real_samples/ru-marketplace-mcp_fixtures/card_washer.html",
             "https://market.yandex.ru/product--x/1", html=True),
    FuzzCase("ym_search", ym_search, "real_samples/ru-marketplace-mcp_fixtures/search_washer.html",
             "https://market.yandex.ru/search?text=x", html=True),
)
