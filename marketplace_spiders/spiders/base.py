"""What every marketplace spider shares: watchlist terms, crawl history, fetch records, errbacks."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import scrapy
from scrapy.http import Response
from scrapy.settings import BaseSettings
from twisted.python.failure import Failure

from marketplace_spiders.block_middleware import BlockedResponse
from marketplace_spiders.items import FetchRecord
from marketplace_spiders.recording import ReplayMiss, parse_time
from marketplace_spiders.storage.database import Database, DatabaseLocked, staging_root_for
from marketplace_spiders.watchlist import Watchlist, parse_terms_argument

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
    """The run's own assertions for assess_run: min_items / max_items (zavod-style), per marketplace."""

    def __init__(self, terms: str | None = None, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._terms_argument = parse_terms_argument(terms) if terms else None
        self.tracked: dict[str, dict] = {}
        self.run_history: list[dict] = []

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        if settings.get("REPLAY_DIR"):
            for key, value in REPLAY_SETTINGS.items():
                settings.set(key, value, priority="spider")

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):  # noqa: ANN001
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.history = Database(settings["DUCKDB_PATH"], lock_timeout=settings.getfloat("DUCKDB_LOCK_TIMEOUT"))
        spider.run_started_at = cls._run_start_time(settings)
        return spider

    @staticmethod
    def _run_start_time(settings: BaseSettings) -> datetime:
        if settings.get("REPLAY_DIR"):
            if settings.get("REPLAY_OBSERVED_AT"):
                return parse_time(settings["REPLAY_OBSERVED_AT"])
            from marketplace_spiders.recording import Recording

            recorded = Recording(settings["REPLAY_DIR"]).recorded_at
            if recorded:
                return recorded
        return datetime.now(UTC)

    # -- what to crawl -------------------------------------------------------------------
    def search_terms(self) -> list[str]:
        if self._terms_argument is not None:
            return self._terms_argument
        replay_dir = self.settings.get("REPLAY_DIR")
        if replay_dir:
            from marketplace_spiders.recording import Recording

            recorded_terms = Recording(replay_dir).meta.get("terms")
            if recorded_terms:
                return list(recorded_terms)
        return Watchlist.load(self.settings.get("WATCHLIST_PATH")).terms_for(self.name)

    def load_history(self) -> None:
        """Ingest runs left staged by a locked database or a crash, then read the tracked listings."""
        try:
            ingested = self.history.ingest_pending(staging_root_for(self.history.path))
            if ingested:
                self.logger.info("ingested %d staged run(s) left from before: %s", len(ingested), ingested)
            self.tracked = {row["product_id"]: row for row in self.history.tracked_listings(self.name)}
            self.run_history = self.history.run_history(self.name)
        except DatabaseLocked as exc:
            self.logger.error("cannot read crawl history (%s); revisits limited to this run's finds", exc)
            self.crawler.stats.inc_value("history/locked")
        self.logger.info("%d tracked listing(s) to revisit", len(self.tracked))

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
        )

    def failed_fetch(self, failure: Failure) -> FetchRecord:
        """A FetchRecord for a request that produced no usable response."""
        request = failure.request
        meta = request.meta
        response = getattr(failure.value, "response", None)
        if failure.check(ReplayMiss):
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
