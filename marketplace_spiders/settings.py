"""Scrapy settings for the marketplace monitor.

Project-specific settings (all overridable with ``-s NAME=value``):
- DUCKDB_PATH: the DuckDB file runs are ingested into (env MONITOR_DB, default data/marketplace.duckdb).
- DUCKDB_LOCK_TIMEOUT: seconds to keep retrying while another process holds the database (default 60);
  after that the run stays staged beside the database and the next run or ``scrapy ingest`` loads it.
- DUCKDB_INGEST_MEMORY_LIMIT: DuckDB memory_limit of an ingest, e.g. "1GB" (default "": DuckDB's default).
- DUCKDB_REFRESH_MEMORY_LIMIT: DuckDB memory_limit of the analysis refresh after an ingest (default "300MB").
- STAGING_BATCH_SIZE: rows per staged Parquet file (default 5000).
- WATCHLIST_PATH: TOML watchlist (env MONITOR_WATCHLIST, default: the packaged
  marketplace_spiders/data/watchlist.toml); the report reads the same one.
- RECORD_DIR: save every response of a live crawl into this recording folder.
- REPLAY_DIR: serve responses from this recording folder instead of the network (offline).
- REPLAY_OBSERVED_AT: ISO time to stamp on replayed observations (default: the recording's time).
- HOST_MAX_CONSECUTIVE_FAILURES: connection failures in a row before a host is cut off (default 3, 0 = off).
- WB_*: Wildberries spider settings, documented in marketplace_spiders/spiders/wildberries.py.
"""

import os

BOT_NAME = "marketplace_spiders"
SPIDER_MODULES = ["marketplace_spiders.spiders"]
NEWSPIDER_MODULE = "marketplace_spiders.spiders"
COMMANDS_MODULE = "marketplace_spiders.commands"

DUCKDB_PATH = os.environ.get("MONITOR_DB", "data/marketplace.duckdb")
DUCKDB_LOCK_TIMEOUT = 60
# DuckDB memory_limit of the ingest child (which also classifies the run and refreshes the analysis
# tables); unset = DuckDB's default (80 % of RAM). Measured with 256MB, when the classification still ran
# inside the ingest transaction: a staged 200,000-listing first run peaked at 782 MB instead of 1,173 MB and
# a 9-million-observation refresh took 13 s instead of 7 s, but the 200,000-product replay benchmark's ingest
# failed under it (the run stays staged, nothing is lost; `scrapy ingest -s DUCKDB_INGEST_MEMORY_LIMIT=`
# loads it). Opt in only after trying it on your data.
DUCKDB_INGEST_MEMORY_LIMIT = ""
# DuckDB memory_limit of the analysis refresh that follows each ingest (DuckDB spills to disk beyond it; when a
# step cannot, the refresh is retried with twice the limit, then without one). "" = no limit of its own.
# Measured (bench/analysis_benchmark.py): a 9-million-observation refresh 9.4 s / 1,582 MB peak RSS without,
# 14.6 s / 420 MB with 300MB.
DUCKDB_REFRESH_MEMORY_LIMIT = "300MB"
STAGING_BATCH_SIZE = 5_000
WATCHLIST_PATH = os.environ.get("MONITOR_WATCHLIST") or None  # = watchlist.default_path()
RECORD_DIR = None
REPLAY_DIR = None
REPLAY_OBSERVED_AT = None

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
# marketplace_spiders.host_breaker: after this many consecutive connection failures (DNS, refused, timeout)
# a host is not asked again in the run; when every host asked is unreachable the run fails at once. 0 = off.
HOST_MAX_CONSECUTIVE_FAILURES = 3
# Run health (marketplace_spiders.validation.HealthThresholds): any blocked response makes a run
# `degraded`, because the listings it should have checked are then unknown, not unchanged.
RUN_MAX_BLOCKED_SHARE = 0.0
BLOCK_RETRY_TIMES = 2
BLOCK_BACKOFF_BASE = 10.0
BLOCK_BACKOFF_MAX = 120.0
SPIDER_MIDDLEWARES = {
    "marketplace_spiders.callback_errors.CallbackErrorMiddleware": 50,
}
ITEM_PIPELINES = {
    "marketplace_spiders.pipelines.StagingPipeline": 800,
}

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
