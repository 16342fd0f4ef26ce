"""The one place that configures the real browser (scrapy-playwright + Chromium) for the browser marketplaces.

Chromium is found from the ``CHROMIUM_PATH`` setting or environment variable, else the system browser
(``/usr/bin/chromium``, Debian's ``chromium`` package), else Playwright's own download. Images, fonts and
media are blocked inside the browser (Blink's ``imagesEnabled=false`` and CDP ``Network.setBlockedURLs``
on every new page): measured on this machine, blocking through a Python route handler is no faster than
not blocking, blocking in the browser about doubles throughput (shared/MEASURED.md).

Settings: CHROMIUM_PATH, BROWSER_BLOCK_RESOURCES (True), BROWSER_MAX_CONTEXTS (1),
BROWSER_MAX_PAGES_PER_CONTEXT (4), BROWSER_NAVIGATION_TIMEOUT_MS (45000).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

SYSTEM_CHROMIUM = ("/usr/bin/chromium", "/usr/lib/chromium/chromium", "/usr/bin/chromium-browser")
SERVER_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--mute-audio",
]
BLOCKED_URL_PATTERNS = [
    "*.png", "*.jpg", "*.jpeg", "*.gif", "*.webp", "*.avif", "*.svg", "*.ico",
    "*.woff", "*.woff2", "*.ttf", "*.otf", "*.eot",
    "*.mp4", "*.webm", "*.mp3", "*.ogg", "*.m3u8",
]


class BrowserMissing(RuntimeError):
    """No Chromium could be found: a browser crawl would silently fetch nothing."""


def find_chromium(configured: str | None = None) -> str | None:
    """Path of the Chromium to drive, or None to let Playwright use its own download."""
    candidate = configured or os.environ.get("CHROMIUM_PATH")
    if candidate:
        if not Path(candidate).exists():
            raise BrowserMissing(f"CHROMIUM_PATH={candidate} does not exist")
        return candidate
    for path in SYSTEM_CHROMIUM:
        if Path(path).exists():
            return path
    return shutil.which("chromium")


def playwright_chromium_installed() -> bool:
    cache = Path(os.environ.get("PLAYWRIGHT_BROWSERS_PATH", Path.home() / ".cache" / "ms-playwright"))
    return any(cache.glob("chromium*"))


def ensure_browser(settings: Mapping[str, Any] | None = None) -> str:
    """Fail loudly before a live browser crawl when no Chromium exists (scrapy-playwright would only log
    "Executable doesn't exist" and Scrapy would still exit 0 with nothing fetched)."""
    path = find_chromium((settings or {}).get("CHROMIUM_PATH"))
    if path:
        return path
    if playwright_chromium_installed():
        return "playwright's chromium"
    raise BrowserMissing("no Chromium found: set CHROMIUM_PATH, install Debian's chromium, or run "
                         "`playwright install chromium` (make browser does this)")


def launch_options(settings: Mapping[str, Any] | None = None) -> dict[str, Any]:
    settings = settings or {}
    args = list(SERVER_FLAGS)
    if settings.get("BROWSER_BLOCK_RESOURCES", True):
        args.append("--blink-settings=imagesEnabled=false")
    options: dict[str, Any] = {"headless": True, "args": args}
    path = find_chromium(settings.get("CHROMIUM_PATH"))
    if path:
        options["executable_path"] = path
    return options


def browser_settings(settings: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Settings for a spider's ``custom_settings``: the playwright download handlers and their options."""
    settings = settings or {}
    return {
        "DOWNLOAD_HANDLERS": {
            "http": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler",
            "https": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler",
        },
        "PLAYWRIGHT_BROWSER_TYPE": "chromium",
        "PLAYWRIGHT_LAUNCH_OPTIONS": launch_options(settings),
        "PLAYWRIGHT_MAX_CONTEXTS": int(settings.get("BROWSER_MAX_CONTEXTS", 1)),
        "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": int(settings.get("BROWSER_MAX_PAGES_PER_CONTEXT", 4)),
        "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": int(settings.get("BROWSER_NAVIGATION_TIMEOUT_MS", 45_000)),
        "CONCURRENT_REQUESTS": int(settings.get("BROWSER_MAX_PAGES_PER_CONTEXT", 4)),
    }


async def block_resources(page: Any, request: Any) -> None:
    """``playwright_page_init_callback``: block images, fonts and media inside the browser (CDP)."""
    session = await page.context.new_cdp_session(page)
    await session.send("Network.enable")
    await session.send("Network.setBlockedURLs", {"urls": BLOCKED_URL_PATTERNS})


def browser_request_meta(wait_selector: str | None = None, block: bool = True) -> dict[str, Any]:
    """Request meta for a page rendered in the browser, waiting for a selector that proves the content."""
    from scrapy_playwright.page import PageMethod

    meta: dict[str, Any] = {"playwright": True}
    if block:
        meta["playwright_page_init_callback"] = block_resources
    if wait_selector:
        meta["playwright_page_methods"] = [PageMethod("wait_for_selector", wait_selector, state="attached")]
    return meta
