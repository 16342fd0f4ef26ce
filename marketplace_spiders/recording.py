"""Record every response a live crawl receives; replay recordings offline through the real spiders.

On-disk format of a recording (one folder per run):

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

import hashlib
import json
import logging
import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes
from w3lib.url import canonicalize_url

from marketplace_spiders.core_config import RecordingConfig
from marketplace_spiders.recording_files import (
    BadRecording,
    ReplayError,
    check_file,
    index_lines,
    read_file,
    read_meta,
)
from marketplace_spiders.run_failures import fail_run

log = logging.getLogger(__name__)

DROP_HEADERS = {b"content-encoding", b"content-length", b"transfer-encoding", b"set-cookie"}


class ReplayMiss(ReplayError):
    """The replayed crawl asked for a request that is not in the recording."""


def request_key(method: str, url: str, body: bytes | str | None = None) -> str:
    if isinstance(body, str):
        body = body.encode("utf-8")
    digest = hashlib.sha256(body).hexdigest()[:16] if body else "-"
    return f"{method.upper()} {canonicalize_url(url, keep_fragments=False)} {digest}"


def parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def recording_meta(folder: str | Path) -> dict:
    """The recording's ``meta.json`` for a spider's start time and terms; {} when it is missing or bad (the
    replay middleware then fails the run, naming the problem)."""
    try:
        return read_meta(Path(folder).resolve())
    except (BadRecording, OSError):
        return {}


@dataclass
class RecordedResponse:
    method: str
    url: str
    status: int
    headers: dict[str, list[str]]
    body: bytes
    recorded_at: datetime | None
    kind: str


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


class RecordingWriter:
    """Appends responses to a recording folder (thread-safe, one line per response)."""

    def __init__(self, folder: str | Path, meta: dict):
        self.folder = Path(folder)
        (self.folder / "bodies").mkdir(parents=True, exist_ok=True)
        meta_file = self.folder / "meta.json"
        if not meta_file.exists():
            meta_file.write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
        self._lock = threading.Lock()
        self._attempts = self._recorded_attempts(self.folder / "responses.jsonl")
        self._index = open(self.folder / "responses.jsonl", "a", encoding="utf-8")  # noqa: SIM115

    @staticmethod
    def _recorded_attempts(index: Path) -> dict[str, int]:
        """The last ``attempt`` already written for each request, when appending to an existing recording."""
        attempts: dict[str, int] = {}
        if index.is_file():
            for line in index.read_text("utf-8", errors="replace").splitlines():
                try:
                    entry = json.loads(line)
                    key = request_key(entry.get("method", "GET"), entry["url"], entry.get("request_body"))
                    attempts[key] = int(entry.get("attempt", 0))
                except (ValueError, KeyError, TypeError, AttributeError):
                    continue
        return attempts

    def save(self, request: Request, response: Response, recorded_at: datetime, kind: str) -> None:
        digest = hashlib.sha256(response.body).hexdigest()
        ctype = response.headers.get(b"Content-Type", b"").decode("latin-1").lower()
        ext = ".json" if "json" in ctype else ".html" if "html" in ctype else ".bin"
        body_file = f"bodies/{digest[:20]}{ext}"
        path = self.folder / body_file
        if not path.exists():
            path.write_bytes(response.body)
        headers = {
            k.decode("latin-1"): [v.decode("latin-1") for v in vs]
            for k, vs in response.headers.items()
            if k.lower() not in DROP_HEADERS
        }
        entry = {
            "method": request.method,
            "url": request.url,
            "status": response.status,
            "headers": headers,
            "recorded_at": recorded_at.isoformat(),
            "kind": kind,
            "body_file": body_file,
        }
        if request.method != "GET" and request.body:
            entry["request_body"] = request.body.decode("utf-8", "replace")
        key = request_key(request.method, request.url, entry.get("request_body"))
        with self._lock:
            # A re-fetch of the same request (a retry after a block page, a deliberate second visit) is numbered,
            # so the replay knows the recording answers it on purpose and serves the last answer.
            attempt = self._attempts[key] + 1 if key in self._attempts else 0
            self._attempts[key] = attempt
            if attempt:
                entry["attempt"] = attempt
            line = json.dumps(entry, ensure_ascii=False)
            self._index.write(line + "\n")
            self._index.flush()
            os.fsync(self._index.fileno())

    def close(self) -> None:
        self._index.close()


class RecordReplayMiddleware:
    """Downloader middleware: stamps each response's fetch time in ``request.meta['fetched_at']``,
    records live responses when ``RECORD_DIR`` is set, and serves responses from ``REPLAY_DIR``.

    Settings: ``REPLAY_DIR`` (a recording folder), ``REPLAY_OBSERVED_AT`` (ISO time that replaces
    the recorded times, so a series of recordings replays as a timeline), ``RECORD_DIR``; a replayed body
    is limited by ``DOWNLOAD_MAXSIZE`` (or the request's ``download_maxsize``) like a downloaded one.

    A bad recording (``BadRecording``: unsafe path, malformed line, duplicate entry, oversized body) never
    stops the crawler with a traceback: every request then fails with the problem (one failed ``fetches``
    row each, nothing read), and the run is ``failed`` with the problem, file and line as its reason.
    """

    def __init__(self, crawler: Crawler):
        config = RecordingConfig.from_crawler(crawler)
        self.stats = crawler.stats
        self.replay: Recording | None = None
        self.replay_time: datetime | None = None
        self.writer: RecordingWriter | None = None
        self.bad_recording: BadRecording | None = None
        self.max_body_bytes = crawler.settings.getint("DOWNLOAD_MAXSIZE", 0)  # Scrapy's own setting
        if config.replay_dir:
            try:
                self.replay = Recording(config.replay_dir, self.max_body_bytes)
            except BadRecording as exc:
                self.bad_recording = exc
                log.error("bad recording, nothing will be replayed: %s", exc)
            if config.replay_observed_at:
                self.replay_time = parse_time(config.replay_observed_at)
        elif config.record_dir:
            spider_name = getattr(crawler.spidercls, "name", "crawl")
            self.writer = RecordingWriter(
                config.record_dir,
                {"marketplace": spider_name, "recorded_at": datetime.now(UTC).isoformat(), "kind": "live"},
            )
            crawler.signals.connect(self._note_terms, signal=signals.spider_opened)
            crawler.signals.connect(self._close_writer, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RecordReplayMiddleware:
        return cls(crawler)

    def _note_terms(self, spider: object) -> None:
        """Write the run's search terms into meta.json, so a replay searches the same terms."""
        assert self.writer is not None
        terms = getattr(spider, "search_terms", None)
        if callable(terms):
            meta_file = self.writer.folder / "meta.json"
            meta = json.loads(meta_file.read_text("utf-8"))
            meta["terms"] = terms()
            meta_file.write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")

    def _close_writer(self) -> None:
        if self.writer:
            self.writer.close()

    def process_request(self, request: Request) -> Response | None:
        if self.bad_recording is not None:
            self._fail_bad(self.bad_recording)
            raise BadRecording(f"bad recording: {self.bad_recording}")
        if self.replay is None:
            return None
        try:
            recorded = self.replay.lookup(request, request.meta.get("download_maxsize", self.max_body_bytes))
        except ReplayMiss:
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
        return cls(url=request.url, status=recorded.status, headers=headers, body=recorded.body,
                   request=request)

    def _fail_bad(self, problem: BadRecording) -> None:
        self.stats.inc_value("replay/bad_recording")
        fail_run(self.stats, f"bad recording: {problem}")

    def process_response(self, request: Request, response: Response) -> Response:
        if request.meta.get("replayed"):
            return response
        fetched_at = datetime.now(UTC)
        request.meta["fetched_at"] = fetched_at
        if self.writer is not None:
            kind = "browser" if request.meta.get("playwright") else "http"
            self.writer.save(request, response, fetched_at, kind)
        return response
