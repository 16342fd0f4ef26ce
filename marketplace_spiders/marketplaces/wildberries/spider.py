"""Wildberries: discovery by search, revisit of every tracked listing, content and seller documents.

Phases of a run:
1. ``start``: the basket routing table and page 1 of every watchlist term.
2. search pages (following pages up to ``WB_SEARCH_MAX_PAGES``) -> ``SearchHit`` rows.
3. when search is done (spider idle): every listing found now or tracked before is checked through
   ``card.wb.ru/cards/v4/detail`` in batches of ``WB_DETAIL_BATCH_SIZE`` nm ids -> ``ListingObservation``
   (``not_found`` for ids WB left out; an answer that leaves out every requested id, or ids this run's
   search found, is recorded as malformed and those ids stay unknown).
4. for listings new or with content older than ``WB_CONTENT_MAX_AGE_DAYS``: basket ``card.json``
   (description, characteristics, country, manufacturer); for sellers new or older than
   ``WB_SELLER_MAX_AGE_DAYS``: ``supplier-by-id`` then the suppliers-shipment profile.

Settings: ``WildberriesConfig`` (settings.py beside this module: WB_*, with defaults and docs).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response
from twisted.python.failure import Failure

from marketplace_spiders.items import ListingObservation, SellerObservation
from marketplace_spiders.marketplaces.wildberries import MARKETPLACE
from marketplace_spiders.marketplaces.wildberries.pages import (
    BasketRouter,
    WbBasketCardPage,
    WbDetailPage,
    WbSearchPage,
    WbSupplierPage,
    WbSupplierProfilePage,
    basket_card_url,
)
from marketplace_spiders.marketplaces.wildberries.settings import WildberriesConfig
from marketplace_spiders.pages.errors import LayoutError
from marketplace_spiders.spiders.base import MarketplaceSpider

UPSTREAMS_URL = "https://cdn.wbbasket.ru/api/v3/upstreams"
IMPERSONATED_HOSTS = ("search.wb.ru", "card.wb.ru", "catalog.wb.ru")


class WildberriesSpider(MarketplaceSpider):
    name = "wildberries"
    allowed_domains = ["wb.ru", "wbbasket.ru", "wildberries.ru", "geobasket.ru"]
    expectations = MARKETPLACE.expectations  # declared in the marketplace's descriptor (__init__.py)
    custom_settings = {
        "DOWNLOAD_HANDLERS": {
            "http": "scrapy_impersonate.ImpersonateDownloadHandler",
            "https": "scrapy_impersonate.ImpersonateDownloadHandler",
        },
    }

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.router = BasketRouter()
        self.found: set[int] = set()
        self.phase = "search"
        self.requested_sellers: set[str] = set()
        self.known_sellers: dict[str, Any] = {}

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):  # noqa: ANN001
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.on_idle, signal=signals.spider_idle)
        return spider

    # -- settings ----------------------------------------------------------------------------
    @property
    def config(self) -> WildberriesConfig:
        """This crawl's WB_* settings (built once per crawler)."""
        crawler = getattr(self, "crawler", None)
        return WildberriesConfig.from_crawler(crawler) if crawler else WildberriesConfig.from_settings(self.settings)

    @property
    def dest(self) -> str:
        return self.config.dest

    @property
    def page_size(self) -> int:
        return self.config.search_page_size

    def _meta(self, url: str, page_type: str, **extra: Any) -> dict:
        meta = {"page_type": page_type, **extra}
        if self.config.impersonate and any(h in url for h in IMPERSONATED_HOSTS):
            meta["impersonate"] = self.config.impersonate_browser
        return meta

    # -- URLs --------------------------------------------------------------------------------
    def search_url(self, term: str, page: int) -> str:
        version = self.config.search_version
        query = urlencode(
            {
                "appType": 1, "curr": "rub", "dest": self.dest, "locale": "ru", "query": term,
                "resultset": "catalog", "page": page, "spp": 30,
            }
        )
        return f"https://search.wb.ru/exactmatch/ru/common/{version}/search?{query}"

    def detail_url(self, nm_ids: list[int]) -> str:
        query = urlencode({"appType": 1, "curr": "rub", "dest": self.dest, "locale": "ru", "spp": 30})
        return f"https://card.wb.ru/cards/v4/detail?{query}&nm={';'.join(str(n) for n in nm_ids)}"

    @staticmethod
    def supplier_url(seller_id: str) -> str:
        return f"https://static-basket-01.wbbasket.ru/vol0/data/supplier-by-id/{seller_id}.json"

    @staticmethod
    def supplier_profile_url(seller_id: str) -> str:
        return f"https://suppliers-shipment-2.wildberries.ru/api/v1/suppliers/{seller_id}?curr=RUB"

    # -- phase 1: search ---------------------------------------------------------------------
    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.load_history()
        # from the history load_history read: today's for a crawl, the one as of the run for a reparse
        self.known_sellers = self.known_seller_times
        yield scrapy.Request(
            UPSTREAMS_URL, callback=self.parse_upstreams, errback=self.on_error,
            meta=self._meta(UPSTREAMS_URL, "routing"), priority=10,
        )
        for term in self.search_terms():
            yield self.search_request(term, 1)

    def search_request(self, term: str, page: int) -> scrapy.Request:
        url = self.search_url(term, page)
        return scrapy.Request(
            url, callback=self.parse_search, errback=self.on_error,
            meta=self._meta(url, "search", term=term), cb_kwargs={"term": term, "page": page},
        )

    def parse_upstreams(self, response: Response) -> Iterator[Any]:
        try:
            self.router = BasketRouter.from_upstreams(response)
        except LayoutError as exc:
            yield self.malformed(response, "routing", exc)
            return
        yield self.fetch_record(response, "routing")

    def parse_search(self, response: Response, term: str, page: int) -> Iterator[Any]:
        try:
            search = WbSearchPage(response)
            hits = search.search_hits(term, page, self.page_size, self.fetched_at(response))
        except LayoutError as exc:
            yield self.malformed(response, "search", exc, term=term)
            return
        yield self.fetch_record(response, "search", term=term, product_ids=[h.product_id for h in hits])
        yield from hits
        self.found.update(int(h.product_id) for h in hits)
        yield from self.next_pages(term, page, len(hits), search.total())

    def next_pages(self, term: str, page: int, hits: int, total: int | None) -> Iterator[scrapy.Request]:
        """Page 1 with a known total schedules every further page at once (up to WB_SEARCH_MAX_PAGES);
        without a total, pages are followed one by one while they come back full."""
        max_pages = self.config.search_max_pages
        if hits < self.page_size:
            return
        if total is not None:
            if page == 1:
                last = min(max_pages, -(-total // self.page_size))
                for number in range(2, last + 1):
                    yield self.search_request(term, number)
            return
        if page < max_pages:
            yield self.search_request(term, page + 1)

    # -- phase 2: revisit everything ---------------------------------------------------------
    def on_idle(self) -> None:
        if self.phase != "search":
            return
        self.phase = "detail"
        ids = sorted(self.found | {int(p) for p in self.tracked})
        batch = self.config.detail_batch_size
        self.logger.info("search done: %d found, %d tracked -> %d to check", len(self.found),
                         len(self.tracked), len(ids))
        chunks = [ids[start : start + batch] for start in range(0, len(ids), batch)]
        for chunk in chunks:
            anchors = self.anchor_ids(chunk, chunks)
            url = self.detail_url(chunk + anchors)
            request = scrapy.Request(
                url, callback=self.parse_detail, errback=self.on_error,
                meta=self._meta(url, "detail", product_ids=chunk),
                cb_kwargs={"nm_ids": chunk, "anchor_ids": anchors},
            )
            self.crawler.engine.crawl(request)
        if ids:
            raise DontCloseSpider

    def anchor_ids(self, chunk: list[int], chunks: list[list[int]]) -> list[int]:
        """A batch of one id is sent with one id of another batch (preferably one this run's search found):
        an answer without any requested id is suspect, so a lone id could otherwise never be seen gone."""
        if len(chunk) != 1:
            return []
        others = [nm_id for other in chunks if other is not chunk for nm_id in other]
        found = [nm_id for nm_id in others if nm_id in self.found]
        return (found or others)[:1]

    def parse_detail(self, response: Response, nm_ids: list[int],
                     anchor_ids: list[int] | tuple[int, ...] = ()) -> Iterator[Any]:
        """``anchor_ids`` are asked along (see ``anchor_ids``) but observed in their own batch: their rows are
        dropped here."""
        try:
            answer = WbDetailPage(response).answer(list(nm_ids) + list(anchor_ids), self.fetched_at(response),
                                                   seen_listed=self.found)
        except LayoutError as exc:
            yield self.malformed(response, "detail", exc, product_ids=nm_ids)
            return
        if answer.reason:
            # An answer that leaves out every id, or ids this run's search just found, is recorded as
            # malformed: the ids it left out stay unknown in this run (no 'not_found' row), never gone.
            self.crawler.stats.inc_value("detail/suspect_answers")
            yield self.malformed(response, "detail", LayoutError(answer.reason), product_ids=nm_ids)
        else:
            yield self.fetch_record(response, "detail", product_ids=nm_ids)
        anchors = {str(nm_id) for nm_id in anchor_ids}
        for observation in answer.observations:
            if observation.product_id in anchors:
                continue
            if observation.listing_status != "listed":
                yield observation
                continue
            if observation.seller_id and self.config.fetch_sellers:
                yield from self.seller_requests(observation.seller_id, observation.observed_at)
            if self.config.fetch_content and self.content_is_stale(
                observation.product_id, observation.observed_at
            ):
                yield self.content_request(observation)
            else:
                yield self.with_known_content(observation)

    def content_is_stale(self, product_id: str, now: datetime | None) -> bool:
        known = self.tracked.get(product_id)
        if not known or not known.get("content_fetched_at") or not known.get("description_hash"):
            return True
        max_age = timedelta(days=float(self.config.content_max_age_days))
        fetched = known["content_fetched_at"]
        return now is not None and now.replace(tzinfo=None) - fetched > max_age

    # -- phase 3: content and sellers --------------------------------------------------------
    def content_request(self, observation: ListingObservation) -> scrapy.Request:
        nm_id = int(observation.product_id)
        url = basket_card_url(self.router.host_for(nm_id), nm_id)
        return scrapy.Request(
            url, callback=self.parse_content, errback=self.on_content_error,
            meta=self._meta(url, "content", product_ids=[nm_id], observation=observation),
            cb_kwargs={"observation": observation},
        )

    def parse_content(self, response: Response, observation: ListingObservation) -> Iterator[Any]:
        try:
            content = WbBasketCardPage(response).to_content(self.fetched_at(response))
        except LayoutError as exc:
            yield self.malformed(response, "content", exc, product_ids=[observation.product_id])
            yield self.with_known_content(observation)
            return
        yield self.fetch_record(response, "content", product_ids=[observation.product_id])
        yield content
        yield self.with_content(observation, content)

    def on_content_error(self, failure: Failure) -> Iterator[Any]:
        yield self.failed_fetch(failure)
        # The price and stock were fetched: never lose them because the content document failed.
        yield self.with_known_content(failure.request.meta["observation"])

    def seller_requests(self, seller_id: str, now: datetime | None) -> Iterator[scrapy.Request]:
        if seller_id in self.requested_sellers:
            return
        self.requested_sellers.add(seller_id)
        last = self.known_sellers.get(seller_id)
        max_age = timedelta(days=float(self.config.seller_max_age_days))
        if last is not None and now is not None and now.replace(tzinfo=None) - last <= max_age:
            return
        url = self.supplier_url(seller_id)
        yield scrapy.Request(
            url, callback=self.parse_supplier, errback=self.on_error,
            meta=self._meta(url, "seller", seller_id=seller_id), cb_kwargs={"seller_id": seller_id},
        )

    def parse_supplier(self, response: Response, seller_id: str) -> Iterator[Any]:
        try:
            seller = WbSupplierPage(response).to_seller(self.fetched_at(response))
        except LayoutError as exc:
            yield self.malformed(response, "seller", exc)
            return
        yield self.fetch_record(response, "seller")
        url = self.supplier_profile_url(seller_id)
        yield scrapy.Request(
            url, callback=self.parse_supplier_profile, errback=self.on_profile_error,
            headers={"x-client-name": "site"},
            meta=self._meta(url, "seller_profile", seller=seller), cb_kwargs={"seller": seller},
        )

    def parse_supplier_profile(self, response: Response, seller: SellerObservation) -> Iterator[Any]:
        try:
            WbSupplierProfilePage(response).fill(seller)
        except LayoutError as exc:
            yield self.malformed(response, "seller_profile", exc)
            yield seller
            return
        yield self.fetch_record(response, "seller_profile")
        yield seller

    def on_profile_error(self, failure: Failure) -> Iterator[Any]:
        yield self.failed_fetch(failure)
        yield failure.request.meta["seller"]

    def on_error(self, failure: Failure) -> Iterator[Any]:
        yield self.failed_fetch(failure)
