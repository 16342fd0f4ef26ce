"""Archive every response a crawl receives (``marketplace_spiders.evidence``); replay offline through the real spiders.

Every crawl, live or replayed, writes its responses into the run's WARC archive (``evidence.archive``): that
is the one capture format. A replay (``-s REPLAY_DIR=``) reads either a run's archive (a run folder of the
evidence root, a ``.warc.gz`` or a ``.wacz``: ``evidence.source``), so a past run replays from its own evidence,
or a recording folder, the hand-checkable format the bundled fixtures are written in (derived by scripts from
real samples; nothing writes it at crawl time any more):

    <recording>/meta.json        {"marketplace", "recorded_at", "description", ...}  (run-level notes)
    <recording>/responses.jsonl  one JSON object per response:
        {"method", "url", "request_body" (text, for POST), "status", "headers": {name: [values]},
         "recorded_at" (ISO 8601 UTC), "kind": "http" | "browser", "body_file": "bodies/<name>"}
    <recording>/bodies/<name>    the response body exactly as the callback received it
                                 (decompressed; rendered HTML for browser pages)

A request is matched by method, canonical URL (query arguments sorted) and request body. A
request missing from the recording fails loudly (``ReplayMiss``): it is logged as an error,
counted in ``replay/missing`` and makes the run ``failed``. A recording is read as untrusted input
(``recording_files``): files outside the folder, FIFOs, devices, oversized bodies, malformed or
duplicate lines make the run ``failed`` with the file and line named (``BadRecording``). An entry
may carry ``"attempt": n`` (n >= 1): the writer's number for a re-fetch of the same request; the
replay serves the last attempt.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes

from marketplace_spiders.core_config import EvidenceConfig, RecordingConfig, StorageConfig
from marketplace_spiders.evidence.archive import EvidenceArchive, WarcPointer
from marketplace_spiders.evidence.source import ArchiveSource, is_archive
from marketplace_spiders.recording_files import (  # noqa: F401 - re-exported: the names replay users import
    BadRecording,
    RecordedResponse,
    ReplayError,
    ReplayMiss,
    check_file,
    index_lines,
    parse_time,
    read_file,
    read_meta,
    request_key,
)
from marketplace_spiders.run_failures import fail_run

log = logging.getLogger(__name__)

DROP_HEADERS = {b"content-encoding", b"content-length", b"transfer-encoding", b"set-cookie"}


def recording_meta(folder: str | Path) -> dict:
    """The replay source's run-level facts for a spider's start time and terms (a recording's ``meta.json``, an
    archive's ``warcinfo``); {} when missing or bad (the replay middleware then fails the run, naming the problem)."""
    try:
        if is_archive(folder):
            return ArchiveSource.warcinfo_of(folder)
        return read_meta(Path(folder).resolve())
    except (BadRecording, OSError):
        return {}


def open_replay_source(path: str | Path, max_body_bytes: int = 0) -> Recording | ArchiveSource:
    """A replay source: a run's WARC/WACZ archive, or a recording folder. Raises ``BadRecording``."""
    if is_archive(path):
        return ArchiveSource(path, max_body_bytes)
    return Recording(path, max_body_bytes)


class Recording:
    """A recording folder loaded for replay, checked as untrusted input (``recording_files``): a problem
    anywhere raises ``BadRecording`` naming the file and line. ``max_body_bytes`` (0 = no limit) caps each
    body, as ``DOWNLOAD_MAXSIZE`` caps a live download."""

    def __init__(self, folder: str | Path, max_body_bytes: int = 0):
        self.folder = Path(folder)
        self.root = self.folder.resolve()
        self.max_body_bytes = max_body_bytes
        if not (self.root / "responses.jsonl").exists():
            raise BadRecording(f"{self.folder / 'responses.jsonl'} not found: not a recording folder")
        self.meta = read_meta(self.root)
        self.index = self.root / "responses.jsonl"
        self._entries: dict[str, dict] = {}
        lines: dict[str, int] = {}
        for number, entry in index_lines(self.root):
            at = f"{self.index}:{number}"
            key = request_key(entry.get("method", "GET"), entry["url"], entry.get("request_body"))
            check_file(self.root, entry["body_file"], max_body_bytes, at)
            if key in self._entries:
                previous = self._entries[key].get("attempt", 0)
                if entry.get("attempt", 0) != previous + 1:
                    raise BadRecording(
                        f"{at}: duplicate of line {lines[key]}: the same request ({entry.get('method', 'GET')} "
                        f"{entry['url']}) is recorded twice; a re-fetch must carry \"attempt\": {previous + 1}"
                    )
            self._entries[key] = {**entry, "_line": number}
            lines[key] = number

    @property
    def recorded_at(self) -> datetime | None:
        value = self.meta.get("recorded_at")
        return parse_time(value) if value else None

    def __len__(self) -> int:
        return len(self._entries)

    def lookup(self, request: Request, max_body_bytes: int | None = None) -> RecordedResponse:
        key = request_key(request.method, request.url, request.body)
        entry = self._entries.get(key)
        if entry is None:
            raise ReplayMiss(f"not in recording {self.folder}: {request.method} {request.url}")
        limit = self.max_body_bytes if max_body_bytes is None else max_body_bytes
        body = read_file(self.root, entry["body_file"], limit, f"{self.index}:{entry['_line']}")
        recorded = entry.get("recorded_at")
        headers = {name: [values] if isinstance(values, str) else values
                   for name, values in entry.get("headers", {}).items()}
        return RecordedResponse(
            method=entry.get("method", "GET"),
            url=entry["url"],
            status=entry.get("status", 200),
            headers=headers,
            body=body,
            recorded_at=parse_time(recorded) if recorded else self.recorded_at,
            kind=entry.get("kind", "http"),
        )


class RecordReplayMiddleware:
    """Downloader middleware: stamps each response's fetch time in ``request.meta['fetched_at']``, archives
    every response (and every fetch that failed without one) into the run's WARC archive, and serves responses
    from ``REPLAY_DIR`` (a run's archive or a recording folder).

    The pointer to the record holding what the parser reads goes into ``request.meta['warc']``; the spider copies
    it into the ``fetches`` row. Settings: ``REPLAY_DIR``, ``REPLAY_OBSERVED_AT`` (ISO time that replaces the
    recorded times, so a series of recordings replays as a timeline), ``REPARSE_RUN`` (a new derivation of a run
    from its archive: nothing is archived again, and a request the archive lacks is skipped, not a failure), the
    ``EVIDENCE_*`` group; a replayed body is limited by ``DOWNLOAD_MAXSIZE`` (or the request's
    ``download_maxsize``) like a downloaded one.

    A bad replay source (``BadRecording``: unsafe path, malformed line or record, duplicate entry, oversized body)
    never stops the crawler with a traceback: every request then fails with the problem (one failed ``fetches``
    row each, nothing read), and the run is ``failed`` with the problem, file and line (or offset) as its reason.
    """

    def __init__(self, crawler: Crawler):
        config = RecordingConfig.from_crawler(crawler)
        self.crawler = crawler
        self.stats = crawler.stats
        self.evidence = EvidenceConfig.from_crawler(crawler)
        self.db_path = StorageConfig.from_crawler(crawler).path
        self.reparse = config.reparse_run
        self.replay_dir = config.replay_dir
        self.replay_observed_at = config.replay_observed_at
        self.replay: Recording | ArchiveSource | None = None
        self.replay_time: datetime | None = None
        self.archive: EvidenceArchive | None = None
        self.bad_recording: BadRecording | None = None
        self.max_body_bytes = crawler.settings.getint("DOWNLOAD_MAXSIZE", 0)  # Scrapy's own setting
        if config.replay_dir:
            try:
                self.replay = open_replay_source(config.replay_dir, self.max_body_bytes)
            except BadRecording as exc:
                self.bad_recording = exc
                log.error("bad replay source, nothing will be replayed: %s", exc)
            observed_at = config.replay_observed_at
            if not observed_at and isinstance(self.replay, ArchiveSource):
                # the archive of a replayed run: its rows were observed at that replay's time, not the recorded one
                observed_at = self.replay.meta.get("replay-observed-at")
            if observed_at:
                self.replay_time = parse_time(observed_at)
                self.replay_observed_at = observed_at
        if self.evidence.archive and not self.reparse:
            crawler.signals.connect(self._open_archive, signal=signals.spider_opened)
            crawler.signals.connect(self.close_archive, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RecordReplayMiddleware:
        return cls(crawler)

    @staticmethod
    def of(crawler: Crawler) -> RecordReplayMiddleware | None:
        """The crawl's instance (its downloader middleware), e.g. for the pipeline to close and package it."""
        engine = getattr(crawler, "engine", None)
        middlewares = engine.downloader.middleware.middlewares if engine is not None else ()
        return next((m for m in middlewares if isinstance(m, RecordReplayMiddleware)), None)

    # -- the archive -------------------------------------------------------------------------------
    def _open_archive(self, spider: object) -> None:
        """Open the run's archive once the pipeline has named the run (its ``open_spider`` runs first)."""
        run_id = getattr(spider, "run_id", None)
        if not run_id:  # no run (a spider without the staging pipeline): no rows the evidence could back
            return
        terms = getattr(spider, "search_terms", None)
        settings = self.crawler.settings
        info = {
            "recorded-at": getattr(spider, "run_started_at", datetime.now(UTC)).isoformat(),
            "terms": terms() if callable(terms) else None,
            "replay-source": str(self.replay_dir) if self.replay_dir else None,
            "replay-observed-at": self.replay_observed_at,
            "recording-id": getattr(spider, "recording_id", None),
            "settings": {name: settings.get(name) for name in (
                "USER_AGENT", "DOWNLOAD_DELAY", "CONCURRENT_REQUESTS", "CONCURRENT_REQUESTS_PER_DOMAIN",
                "AUTOTHROTTLE_ENABLED", "RETRY_TIMES", "DOWNLOAD_TIMEOUT", "BROWSER_BLOCK_RESOURCES")},
        }
        root = self.evidence.root(self.db_path)
        self.archive = EvidenceArchive(root, getattr(spider, "name", "crawl"), run_id, replay=self.replay is not None,
                                       info=info, max_bytes=self.evidence.warc_max_bytes)
        log.info("run %s archiving into %s", run_id, self.archive.folder)

    def close_archive(self, spider: object = None) -> EvidenceArchive | None:
        """Close the run's WARC files (idempotent); returns the archive, or None when nothing was archived."""
        archive, self.archive = self.archive, None
        if archive is not None:
            archive.close()
            self.closed_archive = archive
        return getattr(self, "closed_archive", None)

    def _archive(self, request: Request, response: Response, fetched_at: datetime, kind: str) -> None:
        if self.archive is None:
            return
        meta = request.meta
        screenshot = None
        for method in meta.get("playwright_page_methods") or ():
            if getattr(method, "method", None) == "screenshot" and isinstance(getattr(method, "result", None), bytes):
                screenshot = method.result
        try:
            pointer = self.archive.save_response(
                url=response.url, method=request.method,
                request_headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, vs in request.headers.items()
                                 for v in vs],
                request_body=request.body or b"", status=response.status,
                headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, vs in response.headers.items() for v in vs],
                body=response.body, fetched_at=fetched_at, kind=kind,
                ip_address=str(response.ip_address) if getattr(response, "ip_address", None) else None,
                network_body=meta.pop("browser_network_body", None), screenshot=screenshot)
        except OSError as exc:  # a full disk: the run cannot prove what it saw, and says so
            self._archive_failed(exc)
            return
        meta["warc"] = pointer.as_meta()
        self.stats.inc_value("evidence/records")

    def _archive_failed(self, exc: OSError) -> None:
        self.stats.inc_value("evidence/write_failed")
        if not self.stats.get_value("evidence/write_failed_reason"):
            self.stats.set_value("evidence/write_failed_reason", str(exc))
            fail_run(self.stats, f"evidence archive write failed ({type(exc).__name__}: {exc})")
            log.error("evidence archive write failed: %s", exc)

    # -- the downloader hooks -----------------------------------------------------------------------
    def process_request(self, request: Request) -> Response | None:
        if self.bad_recording is not None:
            self._fail_bad(self.bad_recording)
            raise BadRecording(f"bad recording: {self.bad_recording}")
        if self.replay is None:
            self._ask_for_screenshot(request)
            return None
        try:
            recorded = self.replay.lookup(request, request.meta.get("download_maxsize", self.max_body_bytes))
        except ReplayMiss:
            if self.reparse:
                # the archive is what the run fetched; a request of today's crawl logic it lacks was not made then
                self.stats.inc_value("reparse/not_archived")
                request.meta["not_archived"] = True
                raise IgnoreRequest(f"not in the archive of run {self.reparse}: {request.url}") from None
            self.stats.inc_value("replay/missing")
            raise
        except BadRecording as exc:
            self._fail_bad(exc)
            raise BadRecording(f"bad recording: {exc}") from None
        self.stats.inc_value("replay/served")
        request.meta["fetched_at"] = self.replay_time or recorded.recorded_at or datetime.now(UTC)
        request.meta["replayed"] = True
        headers = Headers({k: v for k, v in recorded.headers.items()})
        cls = responsetypes.from_args(headers=headers, url=request.url, body=recorded.body)
        response = cls(url=request.url, status=recorded.status, headers=headers, body=recorded.body,
                       request=request)
        # archived with the time it was recorded; the warcinfo says the run is a replay, and of what
        self._archive(request, response, recorded.recorded_at or request.meta["fetched_at"], recorded.kind)
        return response

    def _ask_for_screenshot(self, request: Request) -> None:
        """A live browser page of a page type in ``EVIDENCE_SCREENSHOTS`` gets a full-page screenshot, taken after
        the page's own wait (the page methods run in order) and archived beside its response."""
        meta = request.meta
        if (self.archive is None or not meta.get("playwright")
                or meta.get("page_type") not in self.evidence.screenshot_page_types):
            return
        methods = list(meta.get("playwright_page_methods") or ())
        if any(getattr(m, "method", None) == "screenshot" for m in methods):
            return
        from scrapy_playwright.page import PageMethod

        meta["playwright_page_methods"] = [*methods, PageMethod("screenshot", full_page=True, type="png")]

    def _fail_bad(self, problem: BadRecording) -> None:
        self.stats.inc_value("replay/bad_recording")
        fail_run(self.stats, f"bad recording: {problem}")

    def process_response(self, request: Request, response: Response) -> Response:
        if request.meta.get("replayed"):
            return response
        fetched_at = datetime.now(UTC)
        request.meta["fetched_at"] = fetched_at
        self._archive(request, response, fetched_at, "browser" if request.meta.get("playwright") else "http")
        return response

    def process_exception(self, request: Request, exception: BaseException) -> None:
        """A fetch that failed without a response (refused, timed out, DNS) is archived as a ``metadata`` record."""
        if self.archive is None or isinstance(exception, (ReplayError, IgnoreRequest)):
            return None
        fetched_at = datetime.now(UTC)
        request.meta.setdefault("fetched_at", fetched_at)
        try:
            pointer: WarcPointer = self.archive.save_failure(
                url=request.url, method=request.method, error=f"{type(exception).__name__}: {exception}"[:2000],
                fetched_at=fetched_at, kind="browser" if request.meta.get("playwright") else "http")
        except OSError as exc:
            self._archive_failed(exc)
            return None
        request.meta["warc"] = pointer.as_meta()
        return None
