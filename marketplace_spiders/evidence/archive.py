"""The WARC writer every crawl uses: each response as it was received, when, from where, with digests.

One ``EvidenceArchive`` per run writes gzipped WARC 1.1 files (one gzip member per record, so any record can be
read alone by offset) into ``<evidence root>/<marketplace>/<run_id>/``:

- ``<run_id>-00000.warc.gz``: a ``warcinfo`` record first (run id, marketplace, software, replay or live, the
  settings that shape what was fetched), then per response a ``response`` record and its ``request`` record
  (``WARC-Concurrent-To``), for live browser pages a ``conversion`` record with the DOM as rendered
  (``WARC-Refers-To`` the response), and a ``metadata`` record for a fetch that failed without any response;
- ``<run_id>-screenshots-00000.warc.gz``: full-page screenshots (``resource``, ``urn:screenshot:<url>``,
  ``WARC-Concurrent-To`` the page's response), apart so that a retention setting can drop them alone.

The record a fetch points to holds exactly the bytes the parser read: its ``WARC-Payload-Digest`` is
``sha256:<hex>`` of them, the same value as ``fetches.response_sha256`` and every row's ``response_sha256``
(warcio would write sha1 in base32; the digests are computed here and given to it). Headers that describe the
transfer, not the content (Content-Encoding, Content-Length, Transfer-Encoding), and Set-Cookie / Cookie (session
tokens of the crawler, not evidence) are not kept; the body is kept decoded, as the callback received it.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import socket
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.utils import Digester
from warcio.warcwriter import WARCWriter

log = logging.getLogger(__name__)

DROP_HEADERS = {"content-encoding", "content-length", "transfer-encoding", "set-cookie"}
DROP_REQUEST_HEADERS = {"cookie"}
"""The crawler's session cookies (sent back to the marketplace) are not evidence either, and are not kept."""
SOFTWARE = "dprk-marketplace-monitor"


def software_version() -> str:
    try:
        return f"{SOFTWARE} {version(SOFTWARE)}"
    except PackageNotFoundError:  # running from a tree that was never installed
        return f"{SOFTWARE} (not installed)"


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class WarcPointer:
    """Where one record is: the WARC file relative to the evidence root, the record id, the gzip member."""

    warc_file: str
    record_id: str
    offset: int
    length: int

    def as_meta(self) -> dict[str, Any]:
        return {"warc_file": self.warc_file, "warc_record_id": self.record_id, "warc_offset": self.offset,
                "warc_length": self.length}


def warc_date(moment: datetime) -> str:
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return datetime_to_iso_date(moment.astimezone(UTC).replace(tzinfo=None), use_micros=True)


class _HexSha256(Digester):
    """sha256 in hex, the form every digest of the archive takes (and ``response_sha256`` in DuckDB)."""

    def __init__(self) -> None:
        super().__init__("sha256")

    def __str__(self) -> str:
        return "sha256:" + self.digester.hexdigest()


class Sha256WarcWriter(WARCWriter):
    """warcio's writer with sha256 (hex) for the digests it computes itself (the warcinfo record's)."""

    @staticmethod
    def _create_digester() -> Digester:
        return _HexSha256()


class _WarcFile:
    """One WARC file being written, rotated to the next number past ``max_bytes``."""

    def __init__(self, root: Path, folder: Path, stem: str, max_bytes: int, warcinfo: dict[str, Any]):
        self.root, self.folder, self.stem, self.max_bytes = root, folder, stem, max_bytes
        self.warcinfo = warcinfo
        self.number = -1
        self.handle: Any = None
        self.writer: Sha256WarcWriter | None = None
        self.name = ""

    def _open_next(self) -> None:
        if self.handle is not None:
            self.handle.close()
        self.number += 1
        path = self.folder / f"{self.stem}-{self.number:05d}.warc.gz"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.handle = open(path, "xb")  # noqa: SIM115 - closed by close(); never overwrite evidence
        self.writer = Sha256WarcWriter(self.handle, gzip=True, warc_version="1.1")
        self.name = path.relative_to(self.root).as_posix()
        fields = {key: value for key, value in self.warcinfo.items() if value is not None}
        info = self.writer.create_warcinfo_record(path.name, fields)
        self.writer.write_record(info)

    def write(self, record: Any) -> WarcPointer:
        if self.handle is None or (self.max_bytes and self.handle.tell() >= self.max_bytes):
            self._open_next()
        assert self.writer is not None
        offset = self.handle.tell()
        self.writer.write_record(record)
        self.handle.flush()
        return WarcPointer(self.name, record.rec_headers.get_header("WARC-Record-ID"), offset,
                           self.handle.tell() - offset)

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None


class EvidenceArchive:
    """The WARC archive of one run. ``save_response`` / ``save_failure`` return the pointer of the record that
    holds what the parser read; ``close`` ends the files (``evidence.package`` then packages the folder)."""

    def __init__(self, root: Path, marketplace: str, run_id: str, *, replay: bool, info: dict[str, Any],
                 max_bytes: int = 1 << 30):
        self.root = Path(root)
        self.marketplace, self.run_id, self.replay = marketplace, run_id, replay
        self.folder = self.root / marketplace / run_id
        warcinfo = {
            "software": software_version(),
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iso.org/standard/68004.html",
            "run-id": run_id,
            "marketplace": marketplace,
            "replay": "true" if replay else "false",
            "hostname": socket.gethostname(),
            **{key: value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
               for key, value in info.items() if value is not None},
        }
        self._main = _WarcFile(self.root, self.folder, run_id, max_bytes, warcinfo)
        self._shots = _WarcFile(self.root, self.folder, f"{run_id}-screenshots", max_bytes, warcinfo)
        self._lock = threading.Lock()
        self.records = 0

    # -- records -------------------------------------------------------------------------------
    def _headers(self, fetched_at: datetime, kind: str, **extra: str) -> dict[str, str]:
        headers = {"WARC-Date": warc_date(fetched_at), "WARC-Monitor-Run-ID": self.run_id, "WARC-Monitor-Kind": kind}
        if self.replay:
            headers["WARC-Monitor-Replay"] = "true"
        headers.update(extra)
        return headers

    def _record(self, writer_file: _WarcFile, uri: str, record_type: str, payload: bytes,
                headers: dict[str, str], http_headers: StatusAndHeaders | None = None,
                content_type: str = "") -> Any:
        if writer_file.writer is None:
            writer_file._open_next()
        assert writer_file.writer is not None
        block = payload
        if http_headers is not None:
            http_headers.compute_headers_buffer(None)
            block = http_headers.headers_buff + payload
        # both digests given, so warcio writes them as they are (it would add sha1 in base32 otherwise)
        headers = {**headers, "WARC-Payload-Digest": sha256_digest(payload), "WARC-Block-Digest": sha256_digest(block)}
        return writer_file.writer.create_warc_record(uri, record_type, payload=io.BytesIO(payload),
                                                     length=len(payload), warc_headers_dict=headers,
                                                     http_headers=http_headers, warc_content_type=content_type)

    def save_response(self, *, url: str, method: str, request_headers: list[tuple[str, str]],
                      request_body: bytes, status: int, headers: list[tuple[str, str]], body: bytes,
                      fetched_at: datetime, kind: str, ip_address: str | None = None,
                      network_body: bytes | None = None, screenshot: bytes | None = None) -> WarcPointer:
        """Archive one response; the pointer names the record holding ``body`` (what the parser reads): the
        response record, or for a browser page whose network body is known the ``conversion`` record of its DOM."""
        kept = [(name, value) for name, value in headers if name.lower() not in DROP_HEADERS]
        rendered_apart = network_body is not None
        payload = network_body if rendered_apart else body
        http = StatusAndHeaders(f"{status} {_reason(status)}", kept, protocol="HTTP/1.1")
        extra = {"WARC-IP-Address": ip_address} if ip_address else {}
        with self._lock:
            response = self._record(self._main, url, "response", payload, self._headers(fetched_at, kind, **extra),
                                    http)
            response_id = response.rec_headers.get_header("WARC-Record-ID")
            pointer = self._main.write(response)
            parts = urlsplit(url)
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            request_http = StatusAndHeaders(f"{method.upper()} {target} HTTP/1.1",
                                            [("Host", parts.netloc), *((name, value) for name, value in request_headers
                                                                       if name.lower() not in DROP_REQUEST_HEADERS)],
                                            protocol="HTTP/1.1",
                                            is_http_request=True)
            request = self._record(self._main, url, "request", request_body,
                                   self._headers(fetched_at, kind, **{"WARC-Concurrent-To": response_id}),
                                   request_http)
            self._main.write(request)
            if rendered_apart:
                dom = self._record(self._main, url, "conversion", body,
                                   self._headers(fetched_at, kind, **{"WARC-Refers-To": response_id}),
                                   content_type="text/html; charset=utf-8")
                pointer = self._main.write(dom)
            if screenshot:
                shot = self._record(self._shots, f"urn:screenshot:{url}", "resource", screenshot,
                                    self._headers(fetched_at, kind, **{"WARC-Concurrent-To": response_id}),
                                    content_type="image/png")
                self._shots.write(shot)
            self.records += 1
        return pointer

    def save_failure(self, *, url: str, method: str, error: str, fetched_at: datetime, kind: str) -> WarcPointer:
        """A fetch that failed without any response: a ``metadata`` record, so the attempt is on record."""
        body = json.dumps({"url": url, "method": method, "error": error}, ensure_ascii=False).encode("utf-8")
        with self._lock:
            record = self._record(self._main, url, "metadata", body, self._headers(fetched_at, kind),
                                  content_type="application/json")
            self.records += 1
            return self._main.write(record)

    def files(self) -> list[Path]:
        return sorted(self.folder.glob("*.warc.gz"))

    def close(self) -> None:
        with self._lock:
            self._main.close()
            self._shots.close()


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"
