"""Shared crawl logic of the marketplaces that need a real browser (Ozon, Yandex Market).

Phases, as for Wildberries: search every watchlist term (following pages up to ``<PREFIX>_SEARCH_MAX_PAGES``),
then, when search is done, open the product page of every listing found now or tracked before (so
availability is known even when a listing drops out of search). Requests carry ``playwright=True``
(scrapy-playwright with the settings of ``marketplace_spiders.browser``); a replay serves them from the
recording like any other response.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response
from twisted.python.failure import Failure

from marketplace_spiders.browser import browser_request_meta, ensure_browser
from marketplace_spiders.config import SettingsGroup, at_least, setting
from marketplace_spiders.core_config import BrowserConfig
from marketplace_spiders.items import ListingObservation
from marketplace_spiders.spiders.base import MarketplaceSpider


@dataclass(frozen=True)
class BrowserMarketplaceConfig(SettingsGroup, abstract=True):
    """The settings every browser marketplace has, each under the marketplace's prefix (``OZON_``…). A
    marketplace's own group subclasses this one (``class OzonConfig(BrowserMarketplaceConfig, prefix="OZON_")``)
    and is named by the spider's ``config_class``."""

    search_max_pages: int = setting(3, "search result pages followed per term", check=at_least(1))
    content_max_age_days: float = setting(7.0, "days before a listing's description is fetched again",
                                          check=at_least(0))


class BrowserMarketplaceSpider(MarketplaceSpider):
    """Subclasses define the URLs and parse one search page / one product page."""

    expected_body = "html"
    settings_prefix = "BROWSER"
    config_class: type[BrowserMarketplaceConfig] = BrowserMarketplaceConfig
    """The marketplace's settings group: a BrowserMarketplaceConfig subclass with the marketplace's prefix."""
    search_wait_selector: str | None = None
    product_wait_selector: str | None = None

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.found: dict[str, str] = {}  # product id -> product URL
        self.phase = "search"

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):  # noqa: ANN001
        spider = super().from_crawler(crawler, *args, **kwargs)
        if cls.config_class is BrowserMarketplaceConfig:
            raise TypeError(f"{cls.__name__} names no settings group of its own (config_class)")
        spider.config = cls.config_class.from_crawler(crawler)
        spider.browser = BrowserConfig.from_crawler(crawler)
        crawler.signals.connect(spider.on_idle, signal=signals.spider_idle)
        return spider

    # -- hooks ---------------------------------------------------------------------------------
    def search_url(self, term: str, page: int) -> str:
        raise NotImplementedError

    def product_request_url(self, product_id: str, known_url: str | None) -> str:
        raise NotImplementedError

    def parse_search_page(self, response: Response, term: str, page: int) -> tuple[list, dict[str, str], str | None]:
        """(search hits, {product id: product URL}, next page URL or None)."""
        raise NotImplementedError

    def parse_product_page(self, response: Response, product_id: str) -> Iterator[Any]:
        raise NotImplementedError

    # -- requests ------------------------------------------------------------------------------
    def browser_meta(self, page_type: str, wait_selector: str | None, **extra: Any) -> dict:
        return {"page_type": page_type, "expect": self.expected_body,
                **browser_request_meta(wait_selector, config=self.browser), **extra}

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if not self.recording.replay:
            self.logger.info("browser: %s", ensure_browser(self.settings))
        self.load_history()
        for term in self.search_terms():
            yield self.search_request(term, 1, self.search_url(term, 1))

    def search_request(self, term: str, page: int, url: str, offset: int = 0) -> scrapy.Request:
        """``offset``: results on the term's earlier pages, so positions count over the whole result list."""
        return scrapy.Request(
            url, callback=self.parse_search, errback=self.on_error,
            meta=self.browser_meta("search", self.search_wait_selector, term=term, search_offset=offset),
            cb_kwargs={"term": term, "page": page},
        )

    def parse_search(self, response: Response, term: str, page: int) -> Iterator[Any]:
        from marketplace_spiders.pages.errors import LayoutError

        try:
            hits, products, next_url = self.parse_search_page(response, term, page)
        except LayoutError as exc:
            yield self.malformed(response, "search", exc, term=term)
            return
        yield self.fetch_record(response, "search", term=term, product_ids=list(products))
        yield from hits
        for product_id, url in products.items():
            self.found.setdefault(product_id, url)
        if next_url and products and page < self.config.search_max_pages:
            offset = int(response.meta.get("search_offset", 0)) + len(hits)
            yield self.search_request(term, page + 1, next_url, offset)

    def on_idle(self) -> None:
        if self.phase != "search":
            return
        self.phase = "products"
        ids = sorted(set(self.found) | set(self.tracked))
        self.logger.info("search done: %d found, %d tracked -> %d product pages", len(self.found),
                         len(self.tracked), len(ids))
        for product_id in ids:
            known = self.found.get(product_id) or (self.tracked.get(product_id) or {}).get("url")
            url = self.product_request_url(product_id, known)
            self.crawler.engine.crawl(scrapy.Request(
                url, callback=self.parse_product, errback=self.on_error,
                meta=self.browser_meta("product_page", self.product_wait_selector, product_ids=[product_id],
                                       handle_httpstatus_list=[404, 410]),
                cb_kwargs={"product_id": product_id},
            ))
        if ids:
            raise DontCloseSpider

    def parse_product(self, response: Response, product_id: str) -> Iterator[Any]:
        from marketplace_spiders.pages.errors import LayoutError

        if response.status in (404, 410):
            # The marketplace says the product page does not exist: the listing is gone, not unknown.
            record = self.fetch_record(response, "product_page", outcome="not_found", product_ids=[product_id])
            yield record
            yield ListingObservation(
                marketplace=self.name, product_id=product_id, url=response.url, listing_status="not_found",
                in_stock=False, source="product_page", observed_at=self.fetched_at(response),
                response_sha256=record.response_sha256,
            )
            return
        try:
            yield from self.parse_product_page(response, product_id)
        except LayoutError as exc:
            yield self.malformed(response, "product_page", exc, product_ids=[product_id])

    # -- content -------------------------------------------------------------------------------
    def content_is_stale(self, product_id: str, now: datetime | None) -> bool:
        known = self.tracked.get(product_id)
        if not known or not known.get("content_fetched_at") or not known.get("description_hash"):
            return True
        max_age = timedelta(days=self.config.content_max_age_days)
        return now is not None and now.replace(tzinfo=None) - known["content_fetched_at"] > max_age

    def on_error(self, failure: Failure) -> Iterator[Any]:
        yield self.failed_fetch(failure)
