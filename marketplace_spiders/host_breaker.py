"""Downloader middleware: stop asking a host that cannot be reached, and stop the run when none can.

Every download attempt (retries included) that ends in a connection failure — DNS lookup, refused or timed-out
connection, proxy or TLS tunnel failure, from Scrapy's handler, from curl_cffi through scrapy-impersonate or
from Chromium through scrapy-playwright (``is_connection_failure``) — counts against its host; any response
from the host, whatever its status, resets the count. After ``HOST_MAX_CONSECUTIVE_FAILURES`` (default 3; 0
disables the breaker) consecutive failures the host's breaker opens for the rest of the run: every further
request to it fails at once with ``HostUnreachable`` (not retried, no network), so the spider's errback still
writes one ``failed`` ``fetches`` row per request. When the breaker of every host the run has asked is open,
nothing can succeed: the run is marked failed (``run_failures.fail_run``), every request still queued or
retried fails at once the same way (one row each), and as soon as nothing is left in flight the spider is
closed with the reason ``hosts_unreachable`` (requests the spider would only have made later are never made).

Replays never reach this middleware (the replay middleware answers first).
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
)
from scrapy.http import Response
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet import error as twisted_errors

from marketplace_spiders.core_config import HostConfig
from marketplace_spiders.run_failures import fail_run

log = logging.getLogger(__name__)

CONNECTION_FAILURES: tuple[type[BaseException], ...] = (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    twisted_errors.DNSLookupError,
    twisted_errors.ConnectError,  # refused, TCP timeout, no route, ...
    twisted_errors.TimeoutError,
)
try:  # the tunnel through an HTTP proxy
    from scrapy.core.downloader.handlers.http11 import TunnelError

    CONNECTION_FAILURES += (TunnelError,)
except ImportError:  # pragma: no cover
    pass
try:  # scrapy-impersonate raises curl_cffi's exceptions
    from curl_cffi.requests import exceptions as curl_errors

    CONNECTION_FAILURES += (curl_errors.ConnectionError, curl_errors.ProxyError, curl_errors.Timeout)
except ImportError:  # pragma: no cover
    pass
try:  # scrapy-playwright raises Playwright's one Error class; Chromium's network error code says what failed
    from playwright.async_api import Error as PlaywrightError
except ImportError:  # pragma: no cover
    PlaywrightError = None  # noqa: N816
BROWSER_CONNECTION_CODES = (
    "net::ERR_NAME_NOT_RESOLVED", "net::ERR_CONNECTION_REFUSED", "net::ERR_CONNECTION_TIMED_OUT",
    "net::ERR_ADDRESS_UNREACHABLE", "net::ERR_INTERNET_DISCONNECTED", "net::ERR_PROXY_CONNECTION_FAILED",
    "net::ERR_TUNNEL_CONNECTION_FAILED", "net::ERR_NAME_RESOLUTION_FAILED", "net::ERR_CONNECTION_FAILED",
)


def is_connection_failure(exception: BaseException) -> bool:
    """True when the download failed before the host answered anything (DNS, connect, proxy, timeout)."""
    if isinstance(exception, CONNECTION_FAILURES):
        return True
    return (PlaywrightError is not None and isinstance(exception, PlaywrightError)
            and any(code in str(exception) for code in BROWSER_CONNECTION_CODES))


class HostUnreachable(IgnoreRequest):
    """The request's host failed too many consecutive connections in this run; it was not asked again."""


class HostBreakerMiddleware:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.limit = HostConfig.from_crawler(crawler).max_consecutive_failures
        self.failures: dict[str, int] = {}
        self.open: dict[str, str] = {}
        self.asked: set[str] = set()
        self.all_down: str | None = None
        self._closing: Any = None
        crawler.signals.connect(self._on_idle, signal=signals.spider_idle)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HostBreakerMiddleware:
        return cls(crawler)

    @staticmethod
    def host(request: Request) -> str:
        return urlparse_cached(request).hostname or ""

    def process_request(self, request: Request) -> None:
        if self.limit <= 0:
            return
        host = self.host(request)
        self.asked.add(host)
        reason = self.open.get(host) or self.all_down
        if reason:
            self.crawler.stats.inc_value("hosts/refused")
            raise HostUnreachable(reason)

    def process_response(self, request: Request, response: Response) -> Response:
        self.failures[self.host(request)] = 0
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        if self.limit <= 0 or not is_connection_failure(exception):
            return
        host = self.host(request)
        count = self.failures.get(host, 0) + 1
        self.failures[host] = count
        if count < self.limit or host in self.open:
            return
        last = f"{type(exception).__name__}: {exception}"[:300]
        self.open[host] = (f"host {host} unreachable: {count} consecutive connection failures "
                           f"(HOST_MAX_CONSECUTIVE_FAILURES={self.limit}); last: {last}")
        stats = self.crawler.stats
        stats.set_value("hosts/unreachable", len(self.open))
        log.error("%s; its remaining requests fail without being sent", self.open[host])
        if self.asked <= set(self.open) and self.all_down is None:
            hosts = ", ".join(sorted(self.open))
            self.all_down = (f"every host unreachable ({hosts}): {self.limit} consecutive connection failures "
                             f"each (HOST_MAX_CONSECUTIVE_FAILURES); last: {last}")
            fail_run(stats, self.all_down)
            log.error("every host asked is unreachable (%s): the run stops once its queued requests are "
                      "recorded as failed", hosts)

    def _on_idle(self) -> None:
        if self.all_down is not None and self._closing is None:
            self._closing = deferred_from_coro(self.crawler.engine.close_spider_async(reason="hosts_unreachable"))
