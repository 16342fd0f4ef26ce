"""TEMPLATE spider: searches every watchlist term (replace the URL and the phases with the marketplace's)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlencode

import scrapy
from scrapy.http import Response

from marketplace_spiders.pages.errors import LayoutError
from marketplace_spiders.spiders.base import MarketplaceSpider

from . import MARKETPLACE
from .pages import TemplateSearchPage
from .settings import TemplateConfig

PAGE_SIZE = 100


class TemplateSpider(MarketplaceSpider):
    name = MARKETPLACE.slug
    allowed_domains = ["example.invalid"]  # TODO: the marketplace's domains
    expectations = MARKETPLACE.expectations

    @property
    def config(self) -> TemplateConfig:
        crawler = getattr(self, "crawler", None)
        return TemplateConfig.from_crawler(crawler) if crawler else TemplateConfig.from_settings(self.settings)

    def search_url(self, term: str, page: int) -> str:
        return "https://example.invalid/search?" + urlencode({"q": term, "page": page})

    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.load_history()
        for term in self.search_terms():
            yield self.search_request(term, 1)

    def search_request(self, term: str, page: int) -> scrapy.Request:
        return scrapy.Request(self.search_url(term, page), callback=self.parse_search, errback=self.on_error,
                              meta={"page_type": "search", "term": term}, cb_kwargs={"term": term, "page": page})

    def parse_search(self, response: Response, term: str, page: int) -> Iterator[Any]:
        try:
            hits = TemplateSearchPage(response, self.name).search_hits(term, page, PAGE_SIZE,
                                                                       self.fetched_at(response))
        except LayoutError as exc:
            yield self.malformed(response, "search", exc, term=term)
            return
        yield self.fetch_record(response, "search", term=term, product_ids=[h.product_id for h in hits])
        yield from hits
        if len(hits) == PAGE_SIZE and page < self.config.search_max_pages:
            yield self.search_request(term, page + 1)
