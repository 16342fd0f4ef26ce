"""Downloader middleware: recognise block/challenge pages before any callback sees them.

A response ``detect_block`` names (WBAAS challenge, TLS-fingerprint 403, 429, Ozon «Доступ ограничен»,
SmartCaptcha, ...) is retried after a back-off, up to ``BLOCK_RETRY_TIMES`` times (never in a replay,
where the recording cannot change); after that the request fails with ``BlockedResponse`` and the
spider's errback records a ``blocked`` fetch with the reason. A blocked page is therefore never parsed,
and never read as "product delisted".

Settings: BLOCK_RETRY_TIMES (2), BLOCK_BACKOFF_BASE (10 s; doubled on each retry), BLOCK_BACKOFF_MAX (120 s).
Request meta ``expect`` ("json" or "html") says what the endpoint normally returns; the default is the
spider's ``expected_body`` attribute (html for spiders that do not set it).
"""

from __future__ import annotations

import asyncio
import logging

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from marketplace_spiders.blocks import Block, detect_block
from marketplace_spiders.core_config import BlockConfig, RecordingConfig

log = logging.getLogger(__name__)


class BlockedResponse(IgnoreRequest):
    """The marketplace answered with a block or challenge page instead of data."""

    def __init__(self, block: Block, response: Response):
        super().__init__(f"blocked ({block.kind}): {block.reason}")
        self.block = block
        self.response = response


class BlockDetectionMiddleware:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        config = BlockConfig.from_crawler(crawler)
        self.retry_times = config.retry_times
        self.backoff_base = config.backoff_base
        self.backoff_max = config.backoff_max
        self.replay = RecordingConfig.from_crawler(crawler).replay

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BlockDetectionMiddleware:
        return cls(crawler)

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        spider = self.crawler.spider
        expected = request.meta.get("expect") or getattr(spider, "expected_body", "html")
        block = detect_block(spider.name, response.status, response.headers, response.body, response.url, expected)
        if block is None:
            return response
        stats = self.crawler.stats
        stats.inc_value(f"blocked/{block.kind}")
        tries = request.meta.get("block_retry_times", 0)
        if not self.replay and tries < self.retry_times:
            delay = min(self.backoff_base * 2**tries, self.backoff_max)
            log.warning("blocked (%s) on %s; retry %d/%d in %.0f s", block.kind, request.url, tries + 1,
                        self.retry_times, delay)
            await asyncio.sleep(delay)
            retry = get_retry_request(request, spider=spider, reason=f"blocked_{block.kind}",
                                      max_retry_times=self.retry_times + 1)
            if retry is not None:
                retry.meta["block_retry_times"] = tries + 1
                return retry
        request.meta["block_outcome"] = "blocked"
        log.error("blocked (%s) on %s: %s", block.kind, request.url, block.reason)
        raise BlockedResponse(block, response)
