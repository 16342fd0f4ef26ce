"""The one place that configures the real browser (scrapy-playwright + Chromium) for the browser marketplaces.

Chromium is found from the ``CHROMIUM_PATH`` setting or environment variable, else the system browser
(``/usr/bin/chromium``, Debian's ``chromium`` package), else Playwright's own download (no
``executable_path``). Images, fonts and media are blocked inside the browser (Blink's
``imagesEnabled=false`` for the whole browser, CDP ``Network.setBlockedURLs`` on every page): measured here,
blocking through a Python route handler is no faster than not blocking, blocking in the browser about
doubles throughput (shared/MEASURED.md).

Use::

    class OzonSpider(scrapy.Spider):
        custom_settings = browser_settings()          # only the spiders that need the browser

        async def start(self):
            yield scrapy.Request(url, meta=browser_request_meta("div.tile"), errback=close_page_on_error)

Settings (``BrowserConfig`` in marketplace_spiders/core_config.py; each a Scrapy setting, else the environment
variable of the same name, else the default; ``-s`` always wins):

========================================= ======= ==================================================
``CHROMIUM_PATH``                         auto    the Chromium executable
``BROWSER_BLOCK_RESOURCES``               True    block images, fonts and media inside the browser
``BROWSER_PAGE_REUSE``                    True    navigate kept pages again (:class:`BrowserPagePool`)
``BROWSER_PAGE_MAX_USES``                 10      navigations before a kept page is closed
``PLAYWRIGHT_MAX_CONTEXTS``               1       browser contexts (each reused for every page)
``PLAYWRIGHT_MAX_PAGES_PER_CONTEXT``      4       pages open at once in one context
``PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT`` 45000   ms
========================================= ======= ==================================================

The ``BROWSER_MAX_CONTEXTS``, ``BROWSER_MAX_PAGES_PER_CONTEXT`` and ``BROWSER_NAVIGATION_TIMEOUT_MS`` names
of earlier versions are still read. ``browser_settings()`` (no argument) reads nothing: it names the download
handlers and enables :class:`BrowserAddon`, which at crawl start builds everything that depends on a setting
from the crawler's final settings (launch options, the scrapy-playwright limits, ``CONCURRENT_REQUESTS`` =
contexts x pages unless a spider or ``-s`` sets it), so ``-s`` wins over the environment; it raises
:class:`BrowserMissing` when the executable does not exist (without it scrapy-playwright only logs
"Executable doesn't exist" on every request and Scrapy exits 0 with nothing fetched), and adds the page pool.
Replays (``REPLAY_DIR``) never launch the browser and skip all three.

Where the time of a page goes (bench/browser_benchmark.py, 4 pages, blocking on): opening a page, its CDP
set-up and closing it cost about as much as loading it, so pages are reused (4.1-5.2 -> 6.3-9.8 pages/s). A
reused page's renderer keeps old documents until V8 gets round to a full GC (~1.5 MB of JS heap per
navigation on the benchmark page), so a page is replaced after ``BROWSER_PAGE_MAX_USES`` navigations: 10
keeps peak PSS near that of a new page per request at the same speed (50: ~1.4 GB instead of ~1.0 GB).
"""

from __future__ import annotations

import logging
import os
import shutil
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from scrapy.settings import SETTINGS_PRIORITIES
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler

from marketplace_spiders.core_config import BrowserConfig, RecordingConfig

SYSTEM_CHROMIUM = ("/usr/bin/chromium", "/usr/lib/chromium/chromium", "/usr/bin/chromium-browser")
SERVER_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--mute-audio",
)
BLOCK_FLAGS = ("--blink-settings=imagesEnabled=false",)
BLOCKED_URL_PATTERNS = (
    "*.png", "*.jpg", "*.jpeg", "*.gif", "*.webp", "*.avif", "*.svg", "*.ico", "*.bmp",
    "*.woff", "*.woff2", "*.ttf", "*.otf", "*.eot",
    "*.mp4", "*.webm", "*.mp3", "*.ogg", "*.wav", "*.m4a", "*.m3u8", "*.mpd", "*.ts",
)
logger = logging.getLogger(__name__)
HANDLER = "marketplace_spiders.browser.PooledPlaywrightHandler"
STATIC_SETTINGS: dict[str, Any] = {
    "DOWNLOAD_HANDLERS": {"http": HANDLER, "https": HANDLER},
    "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
    "ADDONS": {"marketplace_spiders.browser.BrowserAddon": 0},
    "PLAYWRIGHT_BROWSER_TYPE": "chromium",
}
"""What ``browser_settings()`` gives: nothing in it depends on a setting or the environment."""


class BrowserMissing(RuntimeError):
    """No Chromium executable: a browser crawl would silently fetch nothing."""


def _config(config: Mapping[str, Any] | BrowserConfig | None) -> BrowserConfig:
    """``config`` as a BrowserConfig: Scrapy settings or a mapping (then the environment, then the defaults);
    None = the environment and the defaults."""
    return config if isinstance(config, BrowserConfig) else BrowserConfig.from_settings(config)


def find_chromium(configured: str | None = None) -> str | None:
    """The Chromium to drive: ``configured`` (``BrowserConfig.chromium_path``: the CHROMIUM_PATH setting, else
    environment variable), else the system browser, else None (Playwright's own download). A configured path is
    returned even if missing: :func:`ensure_browser` reports it."""
    if configured:
        return configured
    for path in SYSTEM_CHROMIUM:
        if os.access(path, os.X_OK):
            return path
    return shutil.which("chromium")


def playwright_chromium_installed() -> bool:
    cache = Path(os.environ.get("PLAYWRIGHT_BROWSERS_PATH") or Path.home() / ".cache" / "ms-playwright")
    return any(cache.glob("chromium*/chrome-linux*/chrome")) or any(cache.glob("chromium_headless_shell*/*/*"))


def launch_options(config: Mapping[str, Any] | BrowserConfig | None = None) -> dict[str, Any]:
    """``PLAYWRIGHT_LAUNCH_OPTIONS``: headless Chromium with server flags (and blocking flags if enabled)."""
    browser = _config(config)
    args = list(SERVER_FLAGS) + (list(BLOCK_FLAGS) if browser.block_resources else [])
    options: dict[str, Any] = {"headless": True, "args": args}
    path = find_chromium(browser.chromium_path)
    if path:
        options["executable_path"] = path
    return options


def ensure_browser(config: Mapping[str, Any] | BrowserConfig | None = None) -> str:
    """The executable a crawl with ``config`` would launch; raises :class:`BrowserMissing` when it does not
    exist. ``config``: Scrapy settings (their ``PLAYWRIGHT_LAUNCH_OPTIONS`` if set), a BrowserConfig, or None
    (the environment)."""
    given = config.get("PLAYWRIGHT_LAUNCH_OPTIONS") if isinstance(config, Mapping) else None
    options = given or launch_options(config)
    path = options.get("executable_path")
    if path:
        if not os.access(path, os.X_OK):
            raise BrowserMissing(f"Chromium executable {path!r} does not exist or is not executable "
                                 "(CHROMIUM_PATH; `make browser` installs Debian's chromium)")
        return str(path)
    if playwright_chromium_installed():
        return "playwright's chromium"
    raise BrowserMissing("no Chromium found: set CHROMIUM_PATH, install Debian's chromium (`make browser`), "
                         "or run `playwright install chromium`")


def browser_settings(config: Mapping[str, Any] | BrowserConfig | None = None) -> dict[str, Any]:
    """The scrapy-playwright settings block, for the ``custom_settings`` of a spider that needs the browser
    (the playwright download handlers are set only there).

    Without ``config`` (``custom_settings = browser_settings()``, evaluated when the spider module is imported)
    it reads nothing, neither settings nor the environment: :class:`BrowserAddon` fills in the rest from the
    crawler's final settings, so ``-s`` wins. With ``config`` (Scrapy settings, a mapping or a BrowserConfig)
    the block also holds those values, for code that builds its settings itself."""
    if config is None:
        return {k: (dict(v) if isinstance(v, dict) else v) for k, v in STATIC_SETTINGS.items()}
    return {**browser_settings(), **_resolved(_config(config))}


def _resolved(browser: BrowserConfig) -> dict[str, Any]:
    """The settings derived from a BrowserConfig."""
    return {
        "PLAYWRIGHT_LAUNCH_OPTIONS": launch_options(browser),
        "PLAYWRIGHT_MAX_CONTEXTS": browser.max_contexts,
        "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": browser.max_pages_per_context,
        "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": browser.navigation_timeout_ms,
        "BROWSER_BLOCK_RESOURCES": browser.block_resources,
        # more requests in flight than pages would only wait inside the handler, their timeouts running
        "CONCURRENT_REQUESTS": browser.max_contexts * browser.max_pages_per_context,
    }


class BrowserAddon:
    """Scrapy add-on enabled by :func:`browser_settings`: everything that depends on a browser setting, built
    from the final settings (``-s`` > spider > settings.py > environment > default), and a crawl that cannot
    start the browser fails at once (exception, exit code 1) instead of fetching nothing."""

    def update_settings(self, settings: Any) -> None:
        if RecordingConfig.from_settings(settings).replay:
            return
        browser = BrowserConfig.from_settings(settings)
        for name, value in _resolved(browser).items():
            if name in ("CONCURRENT_REQUESTS", "PLAYWRIGHT_LAUNCH_OPTIONS"):
                # derived values, unless a spider or the command line chose them itself
                if (settings.getpriority(name) or 0) < SETTINGS_PRIORITIES["spider"]:
                    settings.set(name, value, priority="spider")
            else:
                # the value the group resolved: what -s, the spider or settings.py gave (old names included),
                # else the environment or the default, for scrapy-playwright to read
                settings.set(name, value, priority=max(settings.getpriority(name) or 0, SETTINGS_PRIORITIES["spider"]))
        ensure_browser(settings)
        if browser.page_reuse:
            settings.set_in_component_priority_dict("DOWNLOADER_MIDDLEWARES", BrowserPagePool, 950)


class BrowserPagePool:
    """Downloader middleware (enabled by :class:`BrowserAddon` for live crawls, ``BROWSER_PAGE_REUSE``): the
    pages scrapy-playwright opens are kept and navigated again by the next requests of the same context,
    instead of a new page per request. Measured here (bench/browser_benchmark.py), opening, setting up and
    closing a page cost about as much as loading it: reuse gives 1.5-1.8 times the pages/s.

    A page is bound to a request when its download starts (``PooledPlaywrightHandler``), not when it enters
    the downloader: requests waiting for their slot (one per domain in live crawls) would otherwise all be
    counted as opening pages, and no page would ever be kept. The request is sent with
    ``playwright_include_page`` and a kept page in ``playwright_page`` (none: scrapy-playwright opens one); when
    the response arrives the page goes back to the pool before any callback runs, and the two keys are removed
    from the meta again, so callbacks, retries and recordings see a request like any other. A page is closed
    instead of kept after a failed download, after
    ``BROWSER_PAGE_MAX_USES`` navigations (bounded memory over long crawls), and whenever a request is waiting
    to open a page (an idle page would hold the context's page slot it waits for). A request that asks for the
    page itself (``playwright_include_page``) is given a kept page and owns it: its callback closes it."""

    def __init__(self, crawler: Any) -> None:
        self.stats = crawler.stats
        self.max_uses = BrowserConfig.from_crawler(crawler).page_max_uses
        self.idle: dict[str, list[tuple[Any, int]]] = {}  # context name -> [(page, navigations so far)]
        self.opening: list[dict] = []  # meta of requests whose page scrapy-playwright has yet to open

    @classmethod
    def from_crawler(cls, crawler: Any) -> BrowserPagePool:
        return cls(crawler)

    def _take(self, context: str) -> tuple[Any, int] | None:
        idle = self.idle.get(context, [])
        while idle:
            page, uses = idle.pop()
            if not page.is_closed():
                return page, uses
        return None

    def bind(self, request: Any) -> None:
        """Give a request whose download starts now a kept page of its context, or count it as opening one."""
        meta = request.meta
        if not meta.get("playwright") or meta.get("playwright_page") is not None:
            return
        kept = self._take(meta.get("playwright_context", "default"))
        if kept is not None:
            meta["playwright_page"] = kept[0]
            self.stats.inc_value("browser/page_reused")
        else:
            self.opening.append(meta)
        if not meta.get("playwright_include_page"):
            meta["playwright_include_page"] = True
            meta["browser_pool_uses"] = kept[1] if kept else 0

    async def _give_back(self, request: Any, failed: bool) -> None:
        meta = request.meta
        self.opening = [m for m in self.opening if m is not meta and m.get("playwright_page") is None]
        if "browser_pool_uses" not in meta:
            return
        uses = meta.pop("browser_pool_uses") + 1
        meta.pop("playwright_include_page", None)
        page = meta.pop("playwright_page", None)
        if page is None or page.is_closed():
            return
        if failed or uses >= self.max_uses or self.opening:
            await page.close()
            self.stats.inc_value("browser/page_closed_by_pool")
            return
        # The page's sub-requests may still be in flight (a script, a stylesheet) when the response is handed
        # on: scrapy-playwright's route handler of this navigation would then still answer them while the next
        # request's handler does too ("Route.continue_: Route is already handled!", the next page failed).
        # Removing the routes now, ignoring what those late handlers raise, leaves the next request a clean page.
        try:
            await page.unroute_all(behavior="ignoreErrors")
        except Exception as exc:  # noqa: BLE001 - a page that cannot be cleaned is not kept
            logger.debug("page not kept, its routes could not be removed: %s", exc)
            await page.close()
            self.stats.inc_value("browser/page_closed_by_pool")
            return
        self.idle.setdefault(meta.get("playwright_context", "default"), []).append((page, uses))

    @staticmethod
    def of(crawler: Any) -> BrowserPagePool | None:
        """The crawl's pool (its downloader middleware), if page reuse is on."""
        engine = getattr(crawler, "engine", None)
        middlewares = engine.downloader.middleware.middlewares if engine is not None else ()
        return next((m for m in middlewares if isinstance(m, BrowserPagePool)), None)

    async def process_response(self, request: Any, response: Any, spider: Any = None) -> Any:
        await self._give_back(request, failed=False)
        return response

    async def process_exception(self, request: Any, exception: BaseException, spider: Any = None) -> None:
        await self._give_back(request, failed=True)


class PooledPlaywrightHandler(ScrapyPlaywrightDownloadHandler):
    """scrapy-playwright's download handler, binding a kept page of the crawl's :class:`BrowserPagePool` to
    each browser request when its download starts."""

    async def _download_request(self, request: Any, spider: Any = None) -> Any:
        if request.meta.get("playwright"):
            pool = BrowserPagePool.of(self._crawler)
            if pool is not None:
                pool.bind(request)
        return await super()._download_request(request, spider)

    async def _get_response_and_download(self, request: Any, page: Any, spider: Any) -> Any:
        """Also keep the navigation's network body (``request.meta['browser_network_body']``): the evidence
        archive stores it as the page's response, beside the DOM as rendered that the parser reads."""
        response, download = await super()._get_response_and_download(request, page, spider)
        if response is not None and not download:
            try:
                request.meta["browser_network_body"] = await response.body()
            except Exception as exc:  # noqa: BLE001 - a redirect or a closed page: the DOM alone is archived
                logger.debug("network body of %s not kept: %s", request.url, exc)
        return response, download


_BLOCKING_PAGES: weakref.WeakSet = weakref.WeakSet()


async def block_resources(page: Any, request: Any) -> None:
    """``playwright_page_init_callback``: block images, fonts and media inside the browser (CDP). Runs before
    every navigation; a reused page keeps its blocking, so it is set up once per page."""
    if page in _BLOCKING_PAGES:
        return
    session = await page.context.new_cdp_session(page)
    await session.send("Network.enable")
    await session.send("Network.setBlockedURLs", {"urls": list(BLOCKED_URL_PATTERNS)})
    _BLOCKING_PAGES.add(page)


def browser_request_meta(wait_selector: str | None = None, *, include_page: bool = False, block: bool | None = None,
                         config: Mapping[str, Any] | BrowserConfig | None = None) -> dict[str, Any]:
    """Request meta for a page rendered in the browser. ``wait_selector``: a selector that proves the content
    is there (timing luck is not a wait). ``include_page``: hand the page to the callback, which must close
    it (and use :func:`close_page_on_error` as errback). ``block``: default ``BROWSER_BLOCK_RESOURCES`` of
    ``config`` (a BrowserConfig, Scrapy settings, or None: the environment)."""
    from scrapy_playwright.page import PageMethod

    if block is None:
        block = _config(config).block_resources
    meta: dict[str, Any] = {"playwright": True, "playwright_page_goto_kwargs": {"wait_until": "domcontentloaded"}}
    if include_page:
        meta["playwright_include_page"] = True
    if block:
        meta["playwright_page_init_callback"] = "marketplace_spiders.browser.block_resources"
    if wait_selector:
        meta["playwright_page_methods"] = [PageMethod("wait_for_selector", wait_selector, state="attached")]
    return meta


async def close_page(request: Any) -> None:
    """Close the page a ``playwright_include_page`` request holds, if it is still open."""
    page = request.meta.pop("playwright_page", None)
    if page is not None and not page.is_closed():
        await page.close()


async def close_page_on_error(failure: Any) -> None:
    """Errback for ``playwright_include_page`` requests: logs the error and closes the page. A spider with
    its own errback calls ``await close_page(failure.request)`` in it instead."""
    request = getattr(failure, "request", None)
    logger.warning("browser request %s failed: %s", request, failure.getErrorMessage())
    if request is not None:
        await close_page(request)
