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
counted in ``replay/missing`` and makes the run ``failed``.
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

log = logging.getLogger(__name__)

DROP_HEADERS = {b"content-encoding", b"content-length", b"transfer-encoding", b"set-cookie"}


class ReplayMiss(Exception):
    """The replayed crawl asked for a request that is not in the recording."""


def request_key(method: str, url: str, body: bytes | str | None = None) -> str:
    if isinstance(body, str):
        body = body.encode("utf-8")
    digest = hashlib.sha256(body).hexdigest()[:16] if body else "-"
    return f"{method.upper()} {canonicalize_url(url, keep_fragments=False)} {digest}"


def parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


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
    """A recording folder loaded for replay."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        index = self.folder / "responses.jsonl"
        if not index.exists():
            raise FileNotFoundError(f"{index} not found: not a recording folder")
        meta_file = self.folder / "meta.json"
        self.meta = json.loads(meta_file.read_text("utf-8")) if meta_file.exists() else {}
        self._entries: dict[str, dict] = {}
        for number, line in enumerate(index.read_text("utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
                key = request_key(entry.get("method", "GET"), entry["url"], entry.get("request_body"))
            except (ValueError, KeyError) as exc:
                raise ValueError(f"{index}:{number}: bad recording line: {exc}") from exc
            self._entries[key] = entry

    @property
    def recorded_at(self) -> datetime | None:
        value = self.meta.get("recorded_at")
        return parse_time(value) if value else None

    def __len__(self) -> int:
        return len(self._entries)

    def lookup(self, request: Request) -> RecordedResponse:
        key = request_key(request.method, request.url, request.body)
        entry = self._entries.get(key)
        if entry is None:
            raise ReplayMiss(f"not in recording {self.folder}: {request.method} {request.url}")
        body = (self.folder / entry["body_file"]).read_bytes()
        recorded = entry.get("recorded_at")
        return RecordedResponse(
            method=entry.get("method", "GET"),
            url=entry["url"],
            status=int(entry.get("status", 200)),
            headers=entry.get("headers", {}),
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
        self._index = open(self.folder / "responses.jsonl", "a", encoding="utf-8")  # noqa: SIM115

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
        line = json.dumps(entry, ensure_ascii=False)
        with self._lock:
            self._index.write(line + "\n")
            self._index.flush()
            os.fsync(self._index.fileno())

    def close(self) -> None:
        self._index.close()


class RecordReplayMiddleware:
    """Downloader middleware: stamps each response's fetch time in ``request.meta['fetched_at']``,
    records live responses when ``RECORD_DIR`` is set, and serves responses from ``REPLAY_DIR``.

    Settings: ``REPLAY_DIR`` (a recording folder), ``REPLAY_OBSERVED_AT`` (ISO time that replaces
    the recorded times, so a series of recordings replays as a timeline), ``RECORD_DIR``.
    """

    def __init__(self, crawler: Crawler):
        settings = crawler.settings
        self.stats = crawler.stats
        self.replay: Recording | None = None
        self.replay_time: datetime | None = None
        self.writer: RecordingWriter | None = None
        if settings.get("REPLAY_DIR"):
            self.replay = Recording(settings["REPLAY_DIR"])
            if settings.get("REPLAY_OBSERVED_AT"):
                self.replay_time = parse_time(settings["REPLAY_OBSERVED_AT"])
        elif settings.get("RECORD_DIR"):
            spider_name = getattr(crawler.spidercls, "name", "crawl")
            self.writer = RecordingWriter(
                settings["RECORD_DIR"],
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
        if self.replay is None:
            return None
        try:
            recorded = self.replay.lookup(request)
        except ReplayMiss:
            self.stats.inc_value("replay/missing")
            raise
        self.stats.inc_value("replay/served")
        request.meta["fetched_at"] = self.replay_time or recorded.recorded_at or datetime.now(UTC)
        request.meta["replayed"] = True
        headers = Headers({k: v for k, v in recorded.headers.items()})
        cls = responsetypes.from_args(headers=headers, url=request.url, body=recorded.body)
        return cls(url=request.url, status=recorded.status, headers=headers, body=recorded.body,
                   request=request)

    def process_response(self, request: Request, response: Response) -> Response:
        if request.meta.get("replayed"):
            return response
        fetched_at = datetime.now(UTC)
        request.meta["fetched_at"] = fetched_at
        if self.writer is not None:
            kind = "browser" if request.meta.get("playwright") else "http"
            self.writer.save(request, response, fetched_at, kind)
        return response
