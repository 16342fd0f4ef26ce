"""A WARC archive read as a replay source: ``-s REPLAY_DIR=`` a run's evidence folder, a ``.warc.gz`` or a ``.wacz``.

The archive is what record/replay reads: a past run replays from its own evidence exactly as from a recording
folder (``marketplace_spiders.recording.Recording``, the authoring format of the bundled fixtures). The archive is
read as untrusted input, like a recording: only regular files inside the given folder, WARC records that parse,
bodies within ``DOWNLOAD_MAXSIZE``; any problem is a ``BadRecording`` naming the file and the record's offset.

What is served: for each ``response`` record, its payload, status and headers, keyed like a recording entry by
method, canonical URL and request body (from its ``request`` record, ``WARC-Concurrent-To``); where a
``conversion`` record refers to the response (a live browser page's DOM as rendered), the conversion's payload,
which is what the parser read. A request fetched twice (a retry after a block page) is answered with the last
response, as a recording's numbered attempts are. Bodies stay on disk until asked for (offsets only in memory).
The run's ``warcinfo`` gives the replay its time (``recorded-at``), terms and observation time.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from marketplace_spiders.evidence.store import StoredEntry, StoredEntryError
from marketplace_spiders.recording_files import (
    KINDS,
    BadRecording,
    RecordedResponse,
    ReplayMiss,
    check_file,
    check_time,
    parse_time,
    request_key,
)

ARCHIVE_SUFFIXES = (".warc.gz", ".warc", ".wacz")


def is_archive(path: str | Path) -> bool:
    """True when ``path`` is a WARC/WACZ file or a folder holding some (and no recording's responses.jsonl)."""
    path = Path(path)
    if path.is_file():
        return path.name.endswith(ARCHIVE_SUFFIXES)
    if path.is_dir() and not (path / "responses.jsonl").exists():
        return any(p.name.endswith(ARCHIVE_SUFFIXES) for p in path.iterdir())
    return False


@dataclass
class _Entry:
    file: str
    offset: int
    status: int
    headers: list[tuple[str, str]]
    recorded_at: str | None
    kind: str
    content_offset: int | None = None  # a conversion record whose payload replaces the response's


class ArchiveSource:
    """The responses of a WARC archive, for replay. Raises ``BadRecording`` naming the file and offset."""

    def __init__(self, path: str | Path, max_body_bytes: int = 0, *, index: bool = True):
        self.path = Path(path)
        self.max_body_bytes = max_body_bytes
        root = self.path.resolve()
        if self.path.is_dir():
            self.root = root
            files = sorted(p for p in self.path.iterdir() if p.name.endswith(ARCHIVE_SUFFIXES)
                           and "-screenshots" not in p.name)
            packaged = {p.name[: -len(".wacz")] for p in files if p.name.endswith(".wacz")}
            # a run folder holds its WARCs loose until packaged, then only inside the WACZ: read each once
            files = [p for p in files if p.name.endswith(".wacz") or not any(p.name.startswith(f"{stem}-")
                                                                           for stem in packaged)]
        else:
            self.root = root.parent
            files = [self.path]
        if not files:
            raise BadRecording(f"{self.path}: no WARC or WACZ file in it")
        self._files: dict[str, tuple[Path, str | None]] = {}  # name -> (file, member inside a WACZ)
        for file in files:
            # the one rule of recording_files: a regular file inside the folder (symlinks out, FIFOs, devices refused)
            resolved = check_file(self.root, file.name, 0, str(self.path))
            if file.name.endswith(".wacz"):
                self._add_wacz(resolved)
            else:
                self._files[file.name] = (resolved, None)
        self.meta: dict[str, Any] = {}
        self._entries: dict[str, _Entry] = {}
        self.digest = hashlib.sha256(b"dprk-monitor archive v1\0")
        if not index:
            return
        for name in self._files:
            self._index(name)
        if not self._entries:
            raise BadRecording(f"{self.path}: the archive holds no response record")

    @classmethod
    def warcinfo_of(cls, path: str | Path) -> dict[str, Any]:
        """The run-level facts (the first ``warcinfo``) without indexing the whole archive."""
        source = cls(path, 0, index=False)
        for name in source._files:
            for record, content in source._records(name):
                if record.rec_type == "warcinfo":
                    return _warcinfo(content, f"{name} (record at offset {record.offset})")
                break
        return {}

    def _add_wacz(self, wacz: Path) -> None:
        try:
            with zipfile.ZipFile(wacz) as package:
                names = [n for n in package.namelist() if n.startswith("archive/") and n.endswith(ARCHIVE_SUFFIXES)]
        except (zipfile.BadZipFile, OSError) as exc:
            raise BadRecording(f"{wacz}: not a readable WACZ (zip): {exc}") from None
        for member in names:
            if "-screenshots" not in member:
                self._files[f"{wacz.name}!{member}"] = (wacz, member)

    def _open(self, name: str) -> Any:
        file, member = self._files[name]
        if member is None:
            return open(file, "rb")  # noqa: SIM115 - used as a context manager by the callers
        with zipfile.ZipFile(file) as package:
            info = package.getinfo(member)
        try:
            return io.BufferedReader(StoredEntry(file, info), 1 << 16)
        except StoredEntryError as exc:
            raise BadRecording(f"{file}: {exc}") from None

    # -- index -----------------------------------------------------------------------------------
    def _records(self, name: str) -> Iterator[tuple[Any, Any]]:
        """(record, content) of every record of ``name``: the content (bounded by ``max_body_bytes``) is read
        for the records the index needs it of (warcinfo, request); the record's offset is ``record.offset``."""
        with self._open(name) as handle:
            iterator = ArchiveIterator(handle, arc2warc=False)
            offset = 0
            try:
                for record in iterator:
                    content = None
                    if record.rec_type == "warcinfo":
                        content = record.content_stream().read(1 << 20)
                    elif record.rec_type == "request":
                        content = _read(record, self.max_body_bytes)
                    # warcio knows a record's offset only once its content is read (it reads to the end)
                    record.offset = offset = iterator.get_record_offset()
                    yield record, content
            except (ArchiveLoadFailed, ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
                raise BadRecording(f"{name}: unreadable WARC record after offset {offset}: {exc}") from None

    def _index(self, name: str) -> None:
        requests: dict[str, tuple[str, str, bytes]] = {}
        responses: list[tuple[str, _Entry, str]] = []
        conversions: dict[str, int] = {}
        for record, content in self._records(name):
            offset = record.offset
            where = f"{name} (record at offset {offset})"
            kind = record.rec_type
            headers = record.rec_headers
            record_id = headers.get_header("WARC-Record-ID") or ""
            if kind == "warcinfo":
                if not self.meta:
                    self.meta = _warcinfo(content, where)
                continue
            uri = headers.get_header("WARC-Target-URI") or ""
            if kind == "request":
                body = content
                if self.max_body_bytes and len(body) > self.max_body_bytes:
                    raise BadRecording(f"{where}: request body over the limit of {self.max_body_bytes} bytes")
                method = record.http_headers.protocol if record.http_headers else "GET"
                target = headers.get_header("WARC-Concurrent-To") or ""
                requests[target] = (method, uri, body)
            elif kind == "response":
                if record.http_headers is None:
                    raise BadRecording(f"{where}: a response record without an HTTP status line")
                try:
                    status = int(record.http_headers.get_statuscode())
                except (TypeError, ValueError):
                    raise BadRecording(f"{where}: HTTP status {record.http_headers.statusline!r:.40} is not a "
                                       "number") from None
                if not 100 <= status <= 599:
                    raise BadRecording(f"{where}: HTTP status {status} is not 100..599")
                date = headers.get_header("WARC-Date")
                if date is not None:
                    check_time(date, f"{where}: WARC-Date")
                kind_of = headers.get_header("WARC-Monitor-Kind") or "http"
                if kind_of not in KINDS:
                    raise BadRecording(f"{where}: WARC-Monitor-Kind {kind_of!r:.40} is not one of {', '.join(KINDS)}")
                entry = _Entry(name, offset, status, list(record.http_headers.headers), date, kind_of)
                responses.append((record_id, entry, uri))
                self.digest.update(f"{record_id}\0{headers.get_header('WARC-Payload-Digest')}\0".encode())
            elif kind == "conversion":
                refers = headers.get_header("WARC-Refers-To")
                if refers:
                    conversions[refers] = offset
                    self.digest.update(f"{refers}\0{headers.get_header('WARC-Payload-Digest')}\0".encode())
        for record_id, entry, uri in responses:
            method, url, body = requests.get(record_id, ("GET", uri, b""))
            entry.content_offset = conversions.get(record_id)
            self._entries[request_key(method, url or uri, body if method != "GET" else None)] = entry

    # -- the Recording interface -----------------------------------------------------------------
    @property
    def recorded_at(self) -> datetime | None:
        value = self.meta.get("recorded_at")
        return parse_time(value) if value else None

    def __len__(self) -> int:
        return len(self._entries)

    def lookup_key(self, key: str, max_body_bytes: int) -> tuple[_Entry, bytes] | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        offset = entry.content_offset if entry.content_offset is not None else entry.offset
        with self._open(entry.file) as handle:
            handle.seek(offset)
            iterator = ArchiveIterator(handle, arc2warc=False)
            record = next(iter(iterator))
            limit = max_body_bytes or self.max_body_bytes
            body = _read(record, limit)
        if limit and len(body) > limit:
            raise BadRecording(f"{entry.file} (record at offset {offset}): body has more than the limit of {limit} "
                               "bytes (DOWNLOAD_MAXSIZE)")
        return entry, body

    def lookup(self, request: Any, max_body_bytes: int | None = None) -> Any:
        """The recorded response to ``request`` (``recording.RecordedResponse``); ``ReplayMiss`` if absent."""
        key = request_key(request.method, request.url, request.body if request.method != "GET" else None)
        found = self.lookup_key(key, self.max_body_bytes if max_body_bytes is None else max_body_bytes)
        if found is None:
            raise ReplayMiss(f"not in archive {self.path}: {request.method} {request.url}")
        entry, body = found
        headers: dict[str, list[str]] = {}
        for name, value in entry.headers:
            headers.setdefault(name, []).append(value)
        return RecordedResponse(method=request.method, url=request.url, status=entry.status, headers=headers,
                                body=body, recorded_at=parse_time(entry.recorded_at) if entry.recorded_at
                                else self.recorded_at, kind=entry.kind)

    def identity(self, observed_at: str | None, terms: list[str] | None) -> str:
        """The replay identity (``storage.replay_identity``): a replay of the archive of run X with X's own
        time and terms is X again (``run:X``); otherwise a digest of the archive's responses and parameters."""
        source_run = self.meta.get("run-id")
        same_time = observed_at in (None, self.meta.get("replay-observed-at"))
        if source_run and same_time and terms is None:
            return f"run:{source_run}"
        digest = self.digest.copy()
        digest.update(json.dumps({"observed_at": observed_at, "terms": terms}, sort_keys=True).encode())
        return "sha256:" + digest.hexdigest()


def _read(record: Any, limit: int) -> bytes:
    """A record's content, at most ``limit`` + 1 bytes (0 = all), so an oversized body is seen without being read."""
    stream = record.content_stream()
    return stream.read(limit + 1) if limit else stream.read()


def _warcinfo(raw: bytes, where: str) -> dict[str, Any]:
    """The run's warcinfo fields: ``recorded-at`` -> recorded_at, ``terms`` (a JSON list), and the rest as text."""
    meta: dict[str, Any] = {}
    for line in raw.decode("utf-8", "replace").splitlines():
        key, sep, value = line.partition(":")
        if sep:
            meta[key.strip()] = value.strip()
    for key in ("recorded-at", "replay-observed-at"):
        if key in meta:
            check_time(meta[key], f"{where}: warcinfo {key}")
    if "recorded-at" in meta:
        meta["recorded_at"] = meta["recorded-at"]
    if "terms" in meta:
        try:
            terms = json.loads(meta["terms"])
        except ValueError:
            raise BadRecording(f"{where}: warcinfo terms {meta['terms']!r:.80} is not a JSON list") from None
        if not (isinstance(terms, list) and all(isinstance(t, str) and t.strip() for t in terms)):
            raise BadRecording(f"{where}: warcinfo terms {meta['terms']!r:.80} is not a list of non-empty strings")
        meta["terms"] = terms
    return meta
