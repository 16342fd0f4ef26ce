"""Yandex Market through a real browser: server-rendered search and product pages.

Data comes from the ``<noframes data-apiary="patch">`` collections (``productCardMeta``, ``price`` with
``mainPrice``/``oldPrices``, ``shopInfo``) and JSON-LD. Product pages are opened for every listing found or
tracked (``/product--<slug>/<id>`` and ``/card/<slug>/<id>`` both work). A "hollow shell" page (collections
empty) is retried up to YANDEX_MARKET_HOLLOW_RETRIES times (2), then recorded as a failed fetch, never as
a product without a price. Any other page the page objects refuse (``LayoutError``: an id, price or currency
that cannot be read from its one source, a broken or truncated state patch, a search page whose counters say
it has results but from which none can be read) is recorded as a ``malformed`` fetch with no rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from scrapy.http import Response

from marketplace_spiders.browser import browser_settings
from marketplace_spiders.marketplaces.yandex_market import MARKETPLACE
from marketplace_spiders.marketplaces.yandex_market.pages import (
    HollowShellError,
    YandexMarketProductPage,
    YandexMarketSearchPage,
    product_url,
)
from marketplace_spiders.marketplaces.yandex_market.settings import YandexMarketConfig
from marketplace_spiders.spiders.browser_marketplace import BrowserMarketplaceSpider


class YandexMarketSpider(BrowserMarketplaceSpider):
    name = "yandex_market"
    settings_prefix = "YANDEX_MARKET"
    config_class = YandexMarketConfig
    expectations = MARKETPLACE.expectations  # declared in the marketplace's descriptor (__init__.py)
    allowed_domains = ["market.yandex.ru"]
    custom_settings = browser_settings()
    search_wait_selector = 'noframes[data-apiary="patch"]'
    product_wait_selector = 'noframes[data-apiary="patch"]'

    def search_url(self, term: str, page: int) -> str:
        query = {"text": term} if page == 1 else {"text": term, "page": page}
        return "https://market.yandex.ru/search?" + urlencode(query)

    def product_request_url(self, product_id: str, known_url: str | None) -> str:
        return known_url or product_url(product_id)

    def parse_search_page(self, response: Response, term: str, page: int) -> tuple[list, dict[str, str], str | None]:
        search = YandexMarketSearchPage(response)
        if search.is_empty():
            return [], {}, None
        offset = int(response.meta.get("search_offset", 0))
        hits = search.search_hits(term, page, self.fetched_at(response), offset=offset)
        products = {s["product_id"]: s["url"] for s in search.snippets()}
        return hits, products, search.next_page_url()

    def parse_product_page(self, response: Response, product_id: str) -> Iterator[Any]:
        try:
            page = YandexMarketProductPage(response)
            at = self.fetched_at(response)
            observation = page.to_item(at)
            content = page.to_content(at)
            seller = page.to_seller(at)
        except HollowShellError as exc:
            yield from self.retry_hollow_shell(response, product_id, exc)
            return
        yield self.fetch_record(response, "product_page", product_ids=[observation.product_id])
        if seller is not None:
            yield seller
        yield content
        yield self.with_content(observation, content)

    def retry_hollow_shell(self, response: Response, product_id: str, exc: Exception) -> Iterator[Any]:
        tries = response.meta.get("hollow_retries", 0)
        if tries < self.config.hollow_retries and not response.meta.get("replayed"):
            self.crawler.stats.inc_value("yandex_market/hollow_shell_retry")
            retry = response.request.replace(dont_filter=True)
            retry.meta["hollow_retries"] = tries + 1
            yield retry
            return
        yield self.fetch_record(response, "product_page", outcome="failed",
                                reason=f"hollow shell page after {tries} retries: {exc}", product_ids=[product_id])
