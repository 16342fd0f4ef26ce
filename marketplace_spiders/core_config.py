"""The settings of the monitor's core components, one :class:`~marketplace_spiders.config.SettingsGroup` each.

Each group owns its settings' defaults, environment variables and docs; a component reads its settings only
through its group (``StorageConfig.from_crawler(crawler)``), once. The marketplaces' own settings (``WB_*``,
``OZON_*``, ``YANDEX_MARKET_*``) are groups of their own, beside their spiders. ``describe(CORE_GROUPS)``
renders this module as the README's "Settings" section.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from marketplace_spiders.config import SettingsGroup, at_least, between, setting
from marketplace_spiders.storage.settings_check import REFRESH_MEMORY_LIMIT, megabytes

__all__ = ["CORE_GROUPS", "BlockConfig", "BrowserConfig", "EvidenceConfig", "HealthThresholds", "HostConfig",
           "RecordingConfig", "RunExpectationsConfig", "StorageConfig", "WatchlistConfig"]


def _memory_size(value: str) -> str | None:
    if not value.strip():
        return None
    try:
        megabytes(value)
    except ValueError:
        return "not a memory size like '300MB' or '1GiB'"
    return None


def _iso_time(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return "is not an ISO time like 2026-11-01T06:00:00Z"
    return None


@dataclass(frozen=True)
class StorageConfig(SettingsGroup, prefix="DUCKDB_"):
    """Storage (DuckDB; marketplace_spiders.storage)."""

    # checked (":memory:" refused) when the Database is built from it, before any crawl
    path: str = setting("data/marketplace.duckdb", "the DuckDB file runs are ingested into (not ':memory:')",
                        env="MONITOR_DB")
    lock_timeout: float = setting(60.0, "seconds to keep retrying while another process holds the database; "
                                  "after that the run stays staged beside it and the next run or `scrapy ingest` "
                                  "loads it", check=at_least(0))
    # Measured with 256MB, when the classification still ran inside the ingest transaction: a staged
    # 200,000-listing first run peaked at 782 MB instead of 1,173 MB and a 9-million-observation refresh took
    # 13 s instead of 7 s, but the 200,000-product replay benchmark's ingest failed under it (the run stays
    # staged, nothing is lost; `scrapy ingest -s DUCKDB_INGEST_MEMORY_LIMIT=` loads it).
    ingest_memory_limit: str = setting("", "DuckDB memory_limit of every ingest (at crawl start, the ingest child, "
                                       "`scrapy ingest`), e.g. 1GB; \"\" = DuckDB's default (80 % of RAM). "
                                       "Opt in only after trying it on your data", check=_memory_size)
    # Measured (bench/analysis_benchmark.py): a 9-million-observation refresh 9.4 s / 1,582 MB peak RSS
    # without, 14.6 s / 420 MB with 300MB.
    refresh_memory_limit: str = setting(REFRESH_MEMORY_LIMIT, "DuckDB memory_limit of the analysis refresh after "
                                        "each ingest (retried with twice the limit, then without, when a step "
                                        "cannot spill); \"\" = no limit of its own", check=_memory_size)
    staging_batch_size: int = setting(5_000, "rows per staged Parquet file", name="STAGING_BATCH_SIZE",
                                      check=at_least(1))

    @property
    def staging_root(self) -> Path:
        """Where runs are staged: ``<db>.staging/`` beside the database file."""
        path = Path(self.path)
        return path.with_name(path.name + ".staging")


@dataclass(frozen=True)
class RecordingConfig(SettingsGroup):
    """Replay (marketplace_spiders.recording): a recording folder or a run's evidence archive."""

    record_dir: str | None = setting(None, "removed: every crawl archives every response as WARC (EVIDENCE_*); "
                                     "any value is refused with that explanation", name="RECORD_DIR",
                                     check=lambda value: None if value is None else (
                                         "is gone: every crawl now archives every response as WARC into the "
                                         "evidence root (EVIDENCE_DIR, default <db>.evidence/<marketplace>/"
                                         "<run_id>/); replay a run with -s REPLAY_DIR=<that run folder>"))
    replay_dir: str | None = setting(None, "serve responses from this recording folder instead of the network "
                                     "(offline; politeness limits are lifted)", name="REPLAY_DIR")
    replay_observed_at: str | None = setting(None, "ISO time stamped on replayed observations (default: the "
                                             "recording's time), so a series of recordings replays as a timeline",
                                             name="REPLAY_OBSERVED_AT", check=_iso_time)
    reparse_run: str | None = setting(None, "with REPLAY_DIR = that run's archive: write a new derivation of this "
                                      "run instead of a new run (`scrapy reparse` sets it)", name="REPARSE_RUN")

    @property
    def replay(self) -> bool:
        return self.replay_dir is not None


def _tsa_urls(value: object) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, (list, tuple)) else str(value).replace(",", " ").split()
    urls = [str(item).strip() for item in items if str(item).strip()]
    for url in urls:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"{url!r} is not an http(s) URL of a timestamp authority")
    return urls


@dataclass(frozen=True)
class EvidenceConfig(SettingsGroup, prefix="EVIDENCE_"):
    """Evidence archive (marketplace_spiders.evidence): WARC of every response, WACZ per run, RFC 3161 tokens."""

    archive: bool = setting(True, "archive every response of every crawl as WARC (off only to measure what "
                            "archiving costs: the rows then point to no evidence)")
    dir: str = setting("", "the evidence root (\"\" = <db>.evidence beside the database): "
                       "<marketplace>/<run_id>/ per run")
    warc_max_bytes: int = setting(1 << 30, "bytes after which a run's WARC file is closed and the next one opened",
                                  check=at_least(1 << 20))
    screenshots: str = setting("product_page", "page types of browser pages that get a full-page screenshot "
                               "(space-separated; \"\" = none)")
    package: bool = setting(True, "package each run as WACZ (and sign it when EVIDENCE_TSA_URLS is set) when it ends")
    tsa_urls: list = setting([], "RFC 3161 timestamp authorities (space- or comma-separated URLs) that sign each "
                             "run's package; none: the package is hashed but unsigned", parse=_tsa_urls)
    tsa_roots: str = setting("", "PEM file of trusted TSA root certificates, for `scrapy evidence verify`")
    tsa_timeout: float = setting(15.0, "seconds to wait for a timestamp authority", check=at_least(0.1))
    keep_screenshots_days: int = setting(0, "`scrapy evidence prune` deletes screenshot packages older than this "
                                         "(0 = keep forever)", check=at_least(0))
    keep_empty_runs_days: int = setting(0, "`scrapy evidence prune` deletes the archive of runs that produced no "
                                        "observation after this many days (0 = keep forever); the archive of a "
                                        "run with observations is never deleted", check=at_least(0))

    @property
    def screenshot_page_types(self) -> frozenset[str]:
        return frozenset(self.screenshots.replace(",", " ").split())

    def root(self, db_path: str | Path) -> Path:
        from marketplace_spiders.evidence.store import evidence_root

        return evidence_root(db_path, self.dir or None)


@dataclass(frozen=True)
class BlockConfig(SettingsGroup, prefix="BLOCK_"):
    """Block detection (marketplace_spiders.block_middleware)."""

    retry_times: int = setting(2, "retries of a request answered with a block page (live crawls only)",
                               check=at_least(0))
    backoff_base: float = setting(10.0, "seconds before the first retry of a blocked request; doubled each retry",
                                  check=at_least(0))
    backoff_max: float = setting(120.0, "longest wait before a retry of a blocked request, in seconds",
                                 check=at_least(0))


@dataclass(frozen=True)
class HostConfig(SettingsGroup, prefix="HOST_"):
    """Unreachable hosts (marketplace_spiders.host_breaker)."""

    max_consecutive_failures: int = setting(3, "connection failures in a row (DNS, refused, timeout) before a host "
                                            "is not asked again in the run; 0 = off", check=at_least(0))


@dataclass(frozen=True)
class HealthThresholds(SettingsGroup, prefix="RUN_"):
    """Run health (marketplace_spiders.validation.assess_run)."""

    min_valid_share: float = setting(0.9, "below this share of items passing validate_item the run is failed",
                                     check=between(0, 1))
    max_blocked_share: float = setting(0.0, "above this share of blocked requests the run is degraded (0: any "
                                       "blocked response, since the listings it should have checked are then "
                                       "unknown, not unchanged)", check=between(0, 1))
    max_errors: int = setting(0, "more failed/malformed responses than this and the run is degraded",
                              check=at_least(0))
    min_term_ratio: float = setting(0.3, "a term with fewer items than this share of its recent median is degraded",
                                    check=at_least(0))
    history_runs: int = setting(5, "how many of the latest earlier runs the per-term median is taken over",
                                check=at_least(1))
    min_history_runs: int = setting(3, "a term needs this many earlier runs before its count is compared",
                                    check=at_least(0))


@dataclass(frozen=True)
class RunExpectationsConfig(SettingsGroup):
    """Declared run expectations (marketplace_spiders.spiders.base.MarketplaceSpider.expectations)."""

    expectations: dict | None = setting(None, "a JSON object laid over the spider's declared expectations for one "
                                        "crawl, e.g. {\"min_priced_share\": 0.95}; unknown keys stop the crawl",
                                        name="RUN_EXPECTATIONS")


@dataclass(frozen=True)
class WatchlistConfig(SettingsGroup):
    """Watchlist (marketplace_spiders.watchlist); the report reads the same one."""

    path: str | None = setting(None, "TOML watchlist of search terms (unset: the packaged "
                               "marketplace_spiders/data/watchlist.toml)", name="WATCHLIST_PATH",
                               env="MONITOR_WATCHLIST")


@dataclass(frozen=True)
class BrowserConfig(SettingsGroup):
    """Browser marketplaces (marketplace_spiders.browser; scrapy-playwright + Chromium)."""

    chromium_path: str | None = setting(None, "the Chromium executable (unset: /usr/bin/chromium, else "
                                        "Playwright's own download)", name="CHROMIUM_PATH", env="CHROMIUM_PATH")
    block_resources: bool = setting(True, "block images, fonts and media inside the browser",
                                    name="BROWSER_BLOCK_RESOURCES", env="BROWSER_BLOCK_RESOURCES")
    page_reuse: bool = setting(True, "navigate kept pages again instead of a new page per request",
                               name="BROWSER_PAGE_REUSE", env="BROWSER_PAGE_REUSE")
    page_max_uses: int = setting(10, "navigations before a kept page is closed (bounds the renderer's memory)",
                                 name="BROWSER_PAGE_MAX_USES", env="BROWSER_PAGE_MAX_USES", check=at_least(1))
    max_contexts: int = setting(1, "browser contexts (each reused for every page)", name="PLAYWRIGHT_MAX_CONTEXTS",
                                env="PLAYWRIGHT_MAX_CONTEXTS", aliases=("BROWSER_MAX_CONTEXTS",), check=at_least(1))
    max_pages_per_context: int = setting(4, "pages open at once in one context; CONCURRENT_REQUESTS defaults to "
                                         "contexts x pages", name="PLAYWRIGHT_MAX_PAGES_PER_CONTEXT",
                                         env="PLAYWRIGHT_MAX_PAGES_PER_CONTEXT",
                                         aliases=("BROWSER_MAX_PAGES_PER_CONTEXT",), check=at_least(1))
    navigation_timeout_ms: int = setting(45_000, "navigation timeout in milliseconds",
                                         name="PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT",
                                         env="PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT",
                                         aliases=("BROWSER_NAVIGATION_TIMEOUT_MS",), check=at_least(1))


CORE_GROUPS: tuple[type[SettingsGroup], ...] = (
    StorageConfig, RecordingConfig, EvidenceConfig, BlockConfig, HostConfig, HealthThresholds, RunExpectationsConfig,
    WatchlistConfig, BrowserConfig,
)
"""The core groups, in the order they are defined (and listed by ``python -m marketplace_spiders.config``)."""
