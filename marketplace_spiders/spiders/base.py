"""What every marketplace spider shares: watchlist terms, crawl history, fetch records, errbacks."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import scrapy
from scrapy.http import Response
from scrapy.settings import BaseSettings
from twisted.python.failure import Failure

from marketplace_spiders.block_middleware import BlockedResponse
from marketplace_spiders.core_config import RecordingConfig, StorageConfig, WatchlistConfig
from marketplace_spiders.items import FetchRecord, ListingContent, ListingObservation
from marketplace_spiders.recording import ReplayError, parse_time, recording_meta
from marketplace_spiders.run_failures import fail_run
from marketplace_spiders.storage.database import (
    Database,
    DatabaseLocked,
    DatabaseUnreadable,
    HistoryUnavailable,
    staging_root_for,
)
from marketplace_spiders.storage.derivations import crawl_history_as_of
from marketplace_spiders.storage.history_loader import check_readable
from marketplace_spiders.storage.replay_identity import recording_id
from marketplace_spiders.watchlist import Watchlist, parse_terms_argument

# The observation fields a listing's content document states (copied into every observation of the listing).
CONTENT_FIELDS = ("description_hash", "country_of_origin", "manufacturer", "category")

# Settings a replay lifts: nothing is fetched, so politeness delays only slow the replay down.
REPLAY_SETTINGS = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS": 32,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 32,
    "RETRY_ENABLED": False,
}


class MarketplaceSpider(scrapy.Spider):
    """Base class. Subclasses set ``name`` (the marketplace slug) and crawl."""

    expected_body = "json"
    """What this marketplace's endpoints normally return (json or html), for block detection."""
    expectations: dict = {}
    """The run's own assertions, judged by ``validation.assess_run`` at the end of every run (each key
    optional; an unknown key stops the crawl before anything is fetched):

    ``min_items`` / ``max_items``
        the range of rows (all item types) a run may produce; outside it the run is ``failed``.
    ``min_priced_share``
        least share of ``listed`` observations that carry a price; below it the run is ``degraded``.
    ``min_search_hit_share``
        least share of search pages answered OK that list at least one product; below it ``degraded``.
    ``min_seller_share``
        least share of ``listed`` observations that carry a seller id; below it ``degraded``.

    The setting ``RUN_EXPECTATIONS`` (a JSON object, e.g. ``-s 'RUN_EXPECTATIONS={"min_priced_share": 0.95}'``)
    is laid over these for one crawl. The reason names the share, the counts and the key."""

    def __init__(self, terms: str | None = None, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._terms_argument = parse_terms_argument(terms) if terms else None
        self.tracked: dict[str, dict] = {}
        self.run_history: list[dict] = []
        self.known_seller_times: dict[str, Any] = {}
        """seller_id -> last observed_at, from the history ``load_history`` read (as of the run, for a reparse)."""

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        if RecordingConfig.from_settings(settings).replay:
            for key, value in REPLAY_SETTINGS.items():
                settings.set(key, value, priority="spider")

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):  # noqa: ANN001
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.recording = recording = RecordingConfig.from_crawler(crawler)
        spider.watchlist_path = WatchlistConfig.from_crawler(crawler).path
        # a path like ':memory:', a malformed memory limit or an unreadable database file stops the crawl here,
        # before anything is fetched (scrapy exits non-zero); the runs left staged that load_history ingests at
        # crawl start are ingested under the same memory limits as the ingest child's
        spider.history = Database.from_config(StorageConfig.from_crawler(crawler))
        try:
            check_readable(spider.history.path)
        except DatabaseUnreadable as exc:
            spider.logger.critical("%s", exc)
            raise
        spider.run_started_at = cls._run_start_time(recording)
        # which recording, replayed how: a recording's run is ingested once (storage/replay_identity.py)
        spider.recording_id = (recording_id(recording.replay_dir, recording.replay_observed_at,
                                            spider._terms_argument) if recording.replay_dir else None)
        return spider

    @staticmethod
    def _run_start_time(recording: RecordingConfig) -> datetime:
        if recording.replay_dir:
            if recording.replay_observed_at:
                return parse_time(recording.replay_observed_at)
            recorded = recording_meta(recording.replay_dir).get("recorded_at")
            if recorded:
                return parse_time(recorded)
        return datetime.now(UTC)

    # -- what to crawl -------------------------------------------------------------------
    def search_terms(self) -> list[str]:
        if self._terms_argument is not None:
            return self._terms_argument
        if self.recording.replay_dir:
            recorded_terms = recording_meta(self.recording.replay_dir).get("terms")
            if recorded_terms:
                return list(recorded_terms)
        return Watchlist.load(self.watchlist_path).terms_for(self.name)

    def load_history(self) -> None:
        """Ingest runs left staged (a locked database, a crash) when there are any, then read the crawl
        history: from the database (read-only, beside analysts' connections), from the snapshot every ingest
        writes beside it while a writer holds the file, plus the listings of runs still staged
        (``Database.crawl_history``). With none of them the tracked listings are unknown: the run is
        ``failed`` (never ``ok`` with listings it did not check)."""
        staging = staging_root_for(self.history.path)
        if self.history.has_pending(staging):
            try:
                ingested = self.history.ingest_pending(staging)
                if ingested:
                    self.logger.info("ingested %d staged run(s) left from before: %s", len(ingested), ingested)
            except DatabaseLocked as exc:
                self.logger.warning("runs left staged stay staged (%s); their listings are revisited all the same",
                                    exc)
                self.crawler.stats.inc_value("history/locked")
            except (OSError, duckdb.Error) as exc:
                self.logger.error("runs left staged could not be ingested (%s: %s); they stay staged",
                                  type(exc).__name__, exc)
        reparse = self.recording.reparse_run
        try:
            # a reparse reads the history as it was when the run happened, so content copied from the last known
            # state is what the run saw then, not what later runs found
            history = (crawl_history_as_of(self.history, self.name, reparse) if reparse
                       else self.history.crawl_history(self.name))
        except (HistoryUnavailable, DatabaseUnreadable) as exc:
            self.logger.error("crawl history unavailable: %s; the run is failed", exc)
            self.crawler.stats.set_value("history/source", "unavailable")
            fail_run(self.crawler.stats, f"crawl history unavailable, tracked listings not revisited: {exc}")
            return
        self.tracked = {row["product_id"]: row for row in history.tracked}
        self.run_history = history.run_history
        self.known_seller_times = dict(history.known_sellers)
        self.crawler.stats.set_value("history/source", history.source)
        if history.source == "snapshot":
            self.crawler.stats.inc_value("history/locked")
        self.logger.info("%d tracked listing(s) to revisit (history from the %s)", len(self.tracked), history.source)

    # -- content -------------------------------------------------------------------------
    @staticmethod
    def with_content(observation: ListingObservation,
                     content: ListingContent | Mapping[str, Any] | None) -> ListingObservation:
        """Copy a listing's content into an observation: the one content-merge rule of every marketplace.

        The content document (Wildberries' basket ``card.json``, Ozon's product page with its second layout
        page, Market's product page) is the one source of ``CONTENT_FIELDS`` (description hash, country of
        manufacture, manufacturer, category): where it states a value, the observation carries that value.
        An observation keeps its own value only where the content has none (None or empty), so a value the
        observed page did show is never blanked by a content document that leaves it out, and never
        overrides one the content states (the content is the fuller, characteristics-level source; a search
        card or the first product page shows a short list at most).

        ``content`` is a ``ListingContent`` fetched in this run, or the listing's last known state (a crawl
        history row: ``with_known_content``) when its content was not fetched again; None leaves the
        observation as it is."""
        if content is None:
            return observation
        for name in CONTENT_FIELDS:
            value = content.get(name) if isinstance(content, Mapping) else getattr(content, name)
            if value not in (None, ""):
                setattr(observation, name, value)
        return observation

    def with_known_content(self, observation: ListingObservation) -> ListingObservation:
        """``with_content`` with the listing's last known content (crawl history), for an observation whose
        content document is not fetched in this run (fresh enough, or its fetch failed)."""
        return self.with_content(observation, self.tracked.get(observation.product_id))

    # -- evidence --------------------------------------------------------------------------
    @staticmethod
    def fetched_at(response: Response) -> datetime:
        value = response.meta.get("fetched_at")
        return value if isinstance(value, datetime) else datetime.now(UTC)

    def fetch_record(
        self,
        response: Response,
        page_type: str,
        outcome: str = "ok",
        reason: str | None = None,
        term: str | None = None,
        product_ids: Iterable[str] = (),
    ) -> FetchRecord:
        if outcome != "ok":
            self.crawler.stats.inc_value(f"fetch/{outcome}")
        return FetchRecord(
            marketplace=self.name,
            url=response.url,
            page_type=page_type,
            outcome=outcome,
            status=response.status,
            reason=reason,
            term=term,
            product_ids=[str(p) for p in product_ids],
            fetched_at=self.fetched_at(response),
            response_sha256=hashlib.sha256(response.body).hexdigest(),
            body_bytes=len(response.body),
            **response.meta.get("warc", {}),
        )

    def failed_fetch(self, failure: Failure) -> FetchRecord | None:
        """A FetchRecord for a request that produced no usable response, whatever the failure carries: a
        download handler's exception may hold its own response object (curl_cffi's, without ``body``), which
        is not a Scrapy response and is ignored. None (nothing to store; Scrapy ignores a None output) for a
        request a reparse skipped because the run never made it (``meta['not_archived']``): it is not a failure
        of the run, and the run's own fetches are what the archive holds."""
        request = failure.request
        meta = request.meta
        if meta.get("not_archived"):
            return None
        response = getattr(failure.value, "response", None)
        if not isinstance(response, Response):
            response = None
        if failure.check(ReplayError):
            outcome, reason = "failed", str(failure.value)
            self.logger.error("replay: %s", failure.value)
        elif failure.check(BlockedResponse):
            outcome, reason = "blocked", str(failure.value)
        elif any("__rr=" in url for url in meta.get("redirect_urls", [])):
            outcome, reason = "blocked", f"redirect loop through __rr= (Ozon anti-bot): {failure.value}"[:500]
        else:
            outcome = meta.get("block_outcome", "failed")
            reason = f"{failure.type.__name__}: {failure.value}"[:500]
            self.logger.error("fetch failed: %s %s", request.url, reason)
        self.crawler.stats.inc_value(f"fetch/{outcome}")
        return FetchRecord(
            marketplace=self.name,
            url=request.url,
            page_type=meta.get("page_type", "unknown"),
            outcome=outcome,
            status=getattr(response, "status", None),
            reason=reason,
            term=meta.get("term"),
            product_ids=[str(p) for p in meta.get("product_ids", [])],
            fetched_at=meta.get("fetched_at") or datetime.now(UTC),
            response_sha256=hashlib.sha256(response.body).hexdigest() if response is not None else None,
            body_bytes=len(response.body) if response is not None else None,
            **meta.get("warc", {}),
        )

    def _quarantine(self, response: Response, page_type: str, error: Exception) -> Path:
        """Keep the raw body and what went wrong in ``<db>.quarantine/<marketplace>/``."""
        folder = Path(str(self.history.path) + ".quarantine") / self.name
        folder.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256(response.body).hexdigest()
        (folder / f"{digest}.body").write_bytes(response.body)
        note = {
            "url": response.url,
            "status": response.status,
            "page_type": page_type,
            "error": str(error),
            "fetched_at": self.fetched_at(response).isoformat(),
            "headers": {k.decode("latin-1"): [v.decode("latin-1") for v in vs]
                        for k, vs in response.headers.items()},
        }
        (folder / f"{digest}.json").write_text(json.dumps(note, ensure_ascii=False, indent=1), "utf-8")
        self.crawler.stats.inc_value("quarantine/saved")
        return folder / f"{digest}.body"

    def malformed(self, response: Response, page_type: str, error: Exception, **kwargs: Any) -> FetchRecord:
        """Log a response the page object could not read; it stays in the recording/evidence."""
        self.logger.error("malformed %s response %s: %s", page_type, response.url, error)
        self._quarantine(response, page_type, error)
        return self.fetch_record(response, page_type, outcome="malformed", reason=str(error)[:500], **kwargs)
