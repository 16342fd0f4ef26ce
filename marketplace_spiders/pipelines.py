"""The item pipeline: stage a run's rows durably as they come, ingest the whole run at the end.

Rows go to Parquet files in batches (``STAGING_BATCH_SIZE``), never row by row into DuckDB. When the
spider closes, the run's ``crawl_runs`` row is written and the run is ingested in one transaction.
The ingest runs in a child process (``storage/ingest_process.py``) so DuckDB's memory is not added to the
crawler's. If the database stays locked (an analyst's connection, another crawl) past
``DUCKDB_LOCK_TIMEOUT``, the run stays staged and is ingested by the next run or by ``scrapy ingest``.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.utils.defer import deferred_from_coro

from marketplace_spiders.core_config import EvidenceConfig, RecordingConfig, RunExpectationsConfig, StorageConfig
from marketplace_spiders.derivation import parser_version
from marketplace_spiders.items import FetchRecord, ListingContent, ListingObservation, SearchHit, SellerObservation
from marketplace_spiders.recording import RecordReplayMiddleware
from marketplace_spiders.run_failures import fail_run, failed_reasons
from marketplace_spiders.storage.database import Database, staging_root_for
from marketplace_spiders.storage.ingest_process import EXIT_DUPLICATE
from marketplace_spiders.storage.staging import RunStager, StagingWriteError
from marketplace_spiders.validation import HealthThresholds, assess_run, merged_expectations, validate_item

log = logging.getLogger(__name__)

ITEM_TYPES = (ListingObservation, ListingContent, SellerObservation, SearchHit, FetchRecord)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def new_run_id(marketplace: str, started_at: datetime) -> str:
    return f"{marketplace}-{started_at.astimezone(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


class StagingPipeline:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        storage = StorageConfig.from_crawler(crawler)
        self.database = Database.from_config(storage)
        self.batch_size = storage.staging_batch_size
        recording = RecordingConfig.from_crawler(crawler)
        self.replay = recording.replay
        self.reparse_of = recording.reparse_run
        """A reparse (``scrapy reparse``) writes a new derivation of this run, under its run id."""
        self.stager: RunStager | None = None
        self.run_id: str | None = None
        self.counts = {"fetch_ok": 0, "fetch_blocked": 0, "fetch_failed": 0, "rows": 0, "invalid": 0}
        self.items_per_term: dict[str, int] = {}
        self.not_stored = 0
        """Items received after a staging write failed (the crawl is stopped at the first failure)."""
        # counters the spider's declared expectations are judged on (validation.EXPECTATION_KEYS)
        self.expectation_counts = {"listed_count": 0, "priced_listed_count": 0, "seller_listed_count": 0,
                                   "search_page_count": 0, "search_pages_with_hits": 0}
        self.expectations: dict[str, Any] = {}
        self.thresholds = HealthThresholds.from_crawler(crawler)
        self.expectations_override = RunExpectationsConfig.from_crawler(crawler).expectations

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StagingPipeline:
        return cls(crawler)

    @property
    def spider(self) -> Any:
        return self.crawler.spider

    def open_spider(self) -> None:
        spider = self.spider
        # Checked before anything is fetched: a misspelt expectation fails the crawl at once.
        self.expectations = merged_expectations(getattr(spider, "expectations", {}), self.expectations_override)
        self.run_id = self.reparse_of or new_run_id(spider.name, spider.run_started_at)
        spider.run_id = self.run_id
        self.stager = RunStager(staging_root_for(self.database.path), self.run_id, self.batch_size)
        log.info("run %s staging into %s", self.run_id, self.stager.run_dir)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ITEM_TYPES):
            raise TypeError(f"unexpected item type {type(item).__name__}")
        if isinstance(item, FetchRecord):
            # "not_found" is a successful answer (the marketplace says the listing is gone), not a failure
            outcomes = {"ok": "fetch_ok", "not_found": "fetch_ok", "blocked": "fetch_blocked"}
            key = outcomes.get(item.outcome, "fetch_failed")
            self.counts[key] += 1
            if item.page_type == "search" and item.outcome == "ok" and item.term is not None:
                self.items_per_term.setdefault(item.term, 0)
            if item.page_type == "search" and item.outcome == "ok":
                self.expectation_counts["search_page_count"] += 1
                self.expectation_counts["search_pages_with_hits"] += bool(item.product_ids)
        else:
            self.counts["rows"] += 1
            if isinstance(item, SearchHit):
                self.items_per_term[item.term] = self.items_per_term.get(item.term, 0) + 1
            elif isinstance(item, ListingObservation) and item.listing_status == "listed":
                self.expectation_counts["listed_count"] += 1
                self.expectation_counts["priced_listed_count"] += item.price is not None
                self.expectation_counts["seller_listed_count"] += not _blank(item.seller_id)
            elif isinstance(item, SellerObservation) and item.legal_id_rejects:
                # a number shown as ИНН/ОГРН that failed its check: kept as raw text, never as an identifier
                self.crawler.stats.inc_value("identifiers/rejected")
                log.warning("seller %s %s: identifier(s) not stored: %s", item.marketplace, item.seller_id,
                            item.legal_id_rejects)
        problems = validate_item(item)
        if problems:
            # Kept (nothing is dropped) but counted: the run's valid share decides whether it can be trusted.
            self.counts["invalid"] += 1
            self.crawler.stats.inc_value("items/invalid")
            for problem in problems:
                self.crawler.stats.inc_value(f"items/invalid/{problem.split(':', 1)[0]}")
            log.warning("invalid %s %s: %s", type(item).__name__, getattr(item, "product_id", ""), "; ".join(problems))
        assert self.stager is not None
        try:
            self.stager.add_item(item)
        except StagingWriteError as exc:
            self.not_stored += 1
            self._write_failed(stop_crawl=True)
            raise DropItem(f"not stored: {exc}") from exc
        if self.stager.failure is not None:  # the item is stored (journaled), but staging cannot go on
            self._write_failed(stop_crawl=True)
        return item

    def _write_failed(self, stop_crawl: bool) -> None:
        """A staging write failed (a full disk…): the run is failed with the real reason and, at the first
        failure, the crawl is stopped; nothing more is fetched that could not be kept."""
        assert self.stager is not None
        stats = self.crawler.stats
        self.crawler.stats.set_value("run/items_not_stored", self.not_stored)
        if stats.get_value("run/write_failed"):
            return
        stats.set_value("run/write_failed", self.stager.failure)
        fail_run(stats, f"staging write failed ({self.stager.failure})" + ("; the crawl was stopped" if stop_crawl
                                                                           else ""))
        log.error("run %s: staging write failed in %s: %s%s", self.run_id, self.stager.run_dir, self.stager.failure,
                  "; stopping the crawl" if stop_crawl else "")
        if stop_crawl and self.crawler.engine is not None:
            self._closing = deferred_from_coro(self.crawler.engine.close_spider_async(reason="staging_write_failed"))

    @property
    def parser_version(self) -> str | None:
        """The version of the code that read this run's responses (``derivation.parser_version``); None for a
        spider with no page objects of its own (not a registered marketplace)."""
        try:
            return parser_version(self.spider.name)
        except ValueError:
            return None

    def run_row(self) -> dict:
        spider = self.spider
        finished = spider.run_started_at if self.replay else datetime.now(UTC)
        status, reasons = self.assess()
        return {
            "run_id": self.run_id,
            "marketplace": spider.name,
            "started_at": spider.run_started_at.astimezone(UTC).replace(tzinfo=None).isoformat(),
            "finished_at": finished.astimezone(UTC).replace(tzinfo=None).isoformat(),
            "status": status,
            "status_reasons": "; ".join(reasons) or None,
            "request_count": self.counts["fetch_ok"] + self.counts["fetch_blocked"] + self.counts["fetch_failed"],
            "item_count": self.counts["rows"],
            "error_count": self.counts["fetch_failed"],
            "blocked_count": self.counts["fetch_blocked"],
            "replay": self.replay,
            "recording_id": None if self.reparse_of else getattr(spider, "recording_id", None),
            "parser_version": self.parser_version,
            **({"reparse_of": self.reparse_of} if self.reparse_of else {}),
        }

    def assess(self) -> tuple[str, list[str]]:
        """The run's own health (marketplace_spiders.validation.assess_run), plus replay misses."""
        stats = self.crawler.stats
        missing = int(stats.get_value("replay/missing", 0) or 0)
        searched = [term for term in self.items_per_term]
        run_stats = {
            "item_count": self.counts["rows"],
            "invalid_item_count": self.counts["invalid"],
            "request_count": self.counts["fetch_ok"] + self.counts["fetch_blocked"] + self.counts["fetch_failed"],
            "blocked_count": self.counts["fetch_blocked"],
            "error_count": self.counts["fetch_failed"],
            "items_per_term": self.items_per_term,
            # Every term answering 200 OK with nothing is layout drift, not a market where all vanished at once.
            "empty_search_terms": searched if searched and not any(self.items_per_term.values()) else [],
            **self.expectation_counts,
        }
        for key, value in self.expectation_counts.items():
            stats.set_value(f"run/{key}", value)
        health = assess_run(run_stats, getattr(self.spider, "run_history", []), self.expectations,
                            self.thresholds)
        status, reasons = health.status, list(health.reasons)
        if missing:
            status = "failed"
            reasons.insert(0, f"{missing} request(s) missing from the recording")
        if self.counts["fetch_ok"] == 0:
            status = "failed"
            reasons.insert(0, "no successful response")
        forced = failed_reasons(stats)  # a bad recording, every host unreachable (marketplace_spiders.run_failures)
        if forced:
            status = "failed"
            reasons[0:0] = [reason for reason in forced if reason not in reasons]
        return status, reasons

    def _finish_evidence(self) -> dict:
        """Close the run's WARC archive and package it (WACZ, signed when EVIDENCE_TSA_URLS names authorities),
        before the run is ingested, so its crawl_runs row says where the evidence is and whether it is signed.
        A package that cannot be written leaves the WARC files as they are (``scrapy evidence package`` packages
        them later) and is logged; the rows still point to the records."""
        middleware = RecordReplayMiddleware.of(self.crawler)
        archive = middleware.close_archive() if middleware is not None else None
        if archive is None or not archive.files():
            return {}
        info: dict[str, Any] = {"evidence_path": f"{archive.marketplace}/{archive.run_id}"}
        config = EvidenceConfig.from_crawler(self.crawler)
        if not config.package:
            return info
        from marketplace_spiders.evidence.package import PackageError, package_run

        try:
            result = package_run(archive.folder, config)
        except (PackageError, OSError) as exc:
            self.crawler.stats.inc_value("evidence/package_failed")
            log.error("run %s: evidence package not written (%s); the WARC files stay in %s and `scrapy evidence "
                      "package --run %s` packages them", self.run_id, exc, archive.folder, self.run_id)
            return info
        main = next((package for package in result.packages if package.kind == "main"), None)
        if main is not None:
            info["evidence_sha256"] = main.sha256
            info["evidence_tokens"] = len(main.tokens)
            if main.unsigned:
                log.info("run %s: evidence package %s is unsigned (%s)", self.run_id, main.path.name, main.unsigned)
        for package in result.packages:
            for failure in package.failures:
                self.crawler.stats.inc_value("evidence/tsa_failed")
                log.error("run %s: timestamp authority %s failed: %s", self.run_id, failure.tsa_url, failure.error)
        return info

    def close_spider(self) -> None:
        assert self.stager is not None
        stats = self.crawler.stats
        try:
            self.stager.flush()
        except StagingWriteError:
            self._write_failed(stop_crawl=False)  # every row is in its journal; the ingest turns them into Parquet
        if self.not_stored:
            fail_run(stats, f"{self.not_stored} item(s) not stored (the one being written when the write failed "
                            "and those received after it)")
        row = {**self.run_row(), **self._finish_evidence()}
        # the status and its reasons reach the stats first: they decide the exit code even if run.json cannot
        # be written
        stats.set_value("run/status", row["status"])
        stats.set_value("run/status_reasons", row["status_reasons"])
        stats.set_value("run/id", row["run_id"])
        try:
            self.stager.finish(row)
        except OSError as exc:
            reason = f"run.json not written ({type(exc).__name__}: {exc})"
            fail_run(stats, reason)
            stats.set_value("run/status", "failed")
            stats.set_value("run/status_reasons", "; ".join(failed_reasons(stats)))
            stats.set_value("run/ingested", False)
            self.stager.release()
            log.error("run %s failed: %s; %s; its staged rows stay in %s and `scrapy ingest` recovers them once "
                      "there is space", row["run_id"], row["status_reasons"], reason, self.stager.run_dir)
            return
        # the child builds the same Database (Database.from_settings) from the same storage settings
        storage = [f"-s{name}={value}" for name, value in self.database.storage_settings().items()]
        code = subprocess.run(
            [sys.executable, "-m", "marketplace_spiders.storage.ingest_process", "--run-dir",
             str(self.stager.run_dir), *storage],
            check=False,
        ).returncode
        if code == 0:
            self.crawler.stats.set_value("run/ingested", True)
        elif code == EXIT_DUPLICATE:
            log.warning("run %s replays a recording already ingested (%s): not ingested again, nothing doubled",
                        self.run_id, row["recording_id"])
            self.crawler.stats.set_value("run/ingested", False)
            self.crawler.stats.set_value("run/duplicate_recording", row["recording_id"])
        else:
            log.warning("run %s staged at %s, not ingested (ingest exit code %d); `scrapy ingest` or the next "
                        "run loads it", self.run_id, self.stager.run_dir, code)
            self.crawler.stats.set_value("run/ingested", False)
        log.log(
            logging.ERROR if row["status"] == "failed" else logging.INFO,
            "run %s finished: status=%s%s; %d rows, %d requests (%d blocked, %d errors)",
            row["run_id"], row["status"], f" ({row['status_reasons']})" if row["status_reasons"] else "",
            row["item_count"], row["request_count"], row["blocked_count"], row["error_count"],
        )
