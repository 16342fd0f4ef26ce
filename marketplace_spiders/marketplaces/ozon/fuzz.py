"""The Ozon page objects and the real inputs tests/test_fuzz_pages.py garbles (the registry's fuzz cases)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from scrapy.http import TextResponse

from marketplace_spiders.marketplaces.descriptor import FuzzCase
from marketplace_spiders.marketplaces.ozon import pages

AT = datetime(2026, 11, 1, tzinfo=UTC)


def ozon_product(r: TextResponse) -> Any:
    page = pages.OzonProductPage(r)
    return page.to_item(AT), page.to_seller(AT), page.to_content(AT)


def ozon_search(r: TextResponse) -> Any:
    page = pages.OzonSearchPage(r)
    return page.search_hits("x", 1, AT), page.next_page_url()


def ozon_seller_legal(r: TextResponse) -> Any:
    return pages.OzonSellerLegalPage(r, "3330001").to_seller(AT)


CASES = (
    FuzzCase("ozon_product", ozon_product, "real_samples/krein15_fixtures/ozon_product.json",
             "https://www.ozon.ru/api/composer-api.bx/page/json/v2?url=/product/5413206766/"),
    FuzzCase("ozon_search", ozon_search, "real_samples/krein15_fixtures/ozon_search.json",
             "https://www.ozon.ru/api/composer-api.bx/page/json/v2?url=/search/?text=x"),
    # no real capture of this endpoint exists: the reconstructed fixture (its meta.json says so)
    FuzzCase("ozon_seller_legal", ozon_seller_legal, "fixtures/pages/seller_legal_info/body.json",
             "https://www.ozon.ru/api/entrypoint-api.bx/page/json/v2?url=/modal/shop-in-shop-info", mutate=False),
)
