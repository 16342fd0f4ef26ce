"""Spider middleware: an exception in a callback (a bug, or a layout no page object anticipated) is recorded
like a malformed response — logged, counted, the body kept in the quarantine and a ``malformed`` fetch
row written — so the crawl goes on and the evidence is kept."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from scrapy.crawler import Crawler
from scrapy.http import Response


class CallbackErrorMiddleware:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CallbackErrorMiddleware:
        return cls(crawler)

    def process_spider_exception(self, response: Response, exception: Exception) -> Iterable[Any] | None:
        spider = self.crawler.spider
        malformed = getattr(spider, "malformed", None)
        if malformed is None:
            return None
        self.crawler.stats.inc_value("callback/exception")
        meta = response.meta
        kwargs = {"product_ids": meta.get("product_ids", [])}
        if meta.get("term") is not None:
            kwargs["term"] = meta["term"]
        error = Exception(f"{type(exception).__name__} in callback: {exception}")
        return [malformed(response, meta.get("page_type", "unknown"), error, **kwargs)]
