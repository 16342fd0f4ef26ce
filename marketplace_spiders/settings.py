"""Scrapy settings for the marketplace monitor.

Only Scrapy's own settings (and the components it enables) are written here. The project's settings
(DUCKDB_*, STAGING_BATCH_SIZE, WATCHLIST_PATH, RECORD_DIR, REPLAY_*, BLOCK_*, HOST_*, RUN_*, CHROMIUM_PATH,
BROWSER_*, and each marketplace's WB_* / OZON_* / YANDEX_MARKET_*) are declared, with their defaults,
environment variables and docs, in their groups (marketplace_spiders/core_config.py and each marketplace's
marketplaces/<slug>/settings.py), and read through them only; every one is overridable with ``-s NAME=value``,
which beats its environment variable, which beats its default. The README's "Settings" section lists them all;
``python -m marketplace_spiders.config`` prints that list from the groups themselves.
"""

from marketplace_spiders.config import project_settings
from marketplace_spiders.core_config import CORE_GROUPS
from marketplace_spiders.marketplaces import spider_modules

BOT_NAME = "marketplace_spiders"
SPIDER_MODULES = spider_modules()  # each registered marketplace's spider module(s) (marketplaces/<slug>/)
NEWSPIDER_MODULE = "marketplace_spiders.spiders"
COMMANDS_MODULE = "marketplace_spiders.commands"

# The core groups' values without -s (environment, else default), so that `scrapy settings --get NAME` shows
# what a crawl uses; -s NAME=value still wins. No default is written twice: the groups own them.
globals().update(project_settings(CORE_GROUPS))

# Live crawls hit public JSON APIs slowly and politely; replays lift these limits (see
# MarketplaceSpider.update_settings).
ROBOTSTXT_OBEY = False
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_DELAY = 1.5
DOWNLOAD_DELAY_JITTER = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.5
AUTOTHROTTLE_MAX_DELAY = 30
DOWNLOAD_TIMEOUT = 60
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
COOKIES_ENABLED = True
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)
DEFAULT_REQUEST_HEADERS = {
    "Accept": "application/json, text/plain, */*",
    "Accept-Language": "ru-RU,ru;q=0.9,en;q=0.8",
}

DOWNLOADER_MIDDLEWARES = {
    # Scrapy's OffsiteMiddleware (50) refuses other domains first. process_response runs from high to low
    # numbers: record/replay stamps the fetch time (and records
    # block pages as evidence) before block detection decides whether the response may reach a callback.
    "marketplace_spiders.block_middleware.BlockDetectionMiddleware": 55,
    "marketplace_spiders.recording.RecordReplayMiddleware": 60,
    # Above RetryMiddleware (550) and HttpProxyMiddleware (750): it sees every failed attempt, retries included.
    "marketplace_spiders.host_breaker.HostBreakerMiddleware": 800,
}
SPIDER_MIDDLEWARES = {
    "marketplace_spiders.callback_errors.CallbackErrorMiddleware": 50,
}
ITEM_PIPELINES = {
    "marketplace_spiders.pipelines.StagingPipeline": 800,
}

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
