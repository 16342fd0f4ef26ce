"""Reading a recording folder as untrusted input: every file read stays inside the folder, every line is checked.

A recording is evidence that may come from elsewhere (a colleague's crawl, a bug report, a tampered copy).
Reading it must never read outside the folder, never block, never grow memory without bound, and every
problem names the file and line it is in. The rules:

- ``responses.jsonl``, ``meta.json`` and every ``body_file`` are resolved (symlinks followed) and must be
  regular files inside the resolved recording folder: ``../../etc/passwd``, absolute paths, symlinks
  pointing out, FIFOs and devices (``/dev/zero``) are refused before anything is opened.
- a body larger than the size limit (``DOWNLOAD_MAXSIZE``, or the request's ``download_maxsize``) is refused;
  a read never takes more than limit + 1 bytes, even if the file grows after the check.
- each line of ``responses.jsonl`` must be UTF-8 and a JSON object with the documented field types.
- one request (method, canonical URL, body) is answered once; a later entry for the same request is only
  accepted when it carries ``"attempt"`` one above the previous one (the writer numbers re-fetches, e.g.
  after a block page), and the replay serves the last attempt.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from w3lib.url import canonicalize_url

META_MAX_BYTES = 1024 * 1024
KINDS = ("http", "browser")


class ReplayError(Exception):
    """A replay could not serve a request."""


class BadRecording(ReplayError, ValueError):
    """The recording folder is unsafe or malformed; the message names the file and line."""


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


@dataclass
class RecordedResponse:
    method: str
    url: str
    status: int
    headers: dict[str, list[str]]
    body: bytes
    recorded_at: datetime | None
    kind: str




def _resolve_inside(root: Path, relative: str, where: str) -> Path:
    """``root / relative`` resolved; refused unless it is a regular file inside ``root`` (already resolved)."""
    if not isinstance(relative, str) or not relative or "\x00" in relative:
        raise BadRecording(f"{where}: file name {relative!r} is not a relative path")
    if os.path.isabs(relative):
        raise BadRecording(f"{where}: file {relative!r} is an absolute path; files must be inside the recording")
    try:
        resolved = (root / relative).resolve(strict=True)
    except FileNotFoundError:
        raise BadRecording(f"{where}: file {relative!r} does not exist in {root}") from None
    except (OSError, RuntimeError) as exc:  # symlink loop, permission
        raise BadRecording(f"{where}: file {relative!r} cannot be resolved: {exc}") from None
    if not resolved.is_relative_to(root):
        raise BadRecording(f"{where}: file {relative!r} resolves to {resolved}, outside the recording {root}")
    mode = resolved.stat().st_mode
    if not stat.S_ISREG(mode):
        raise BadRecording(f"{where}: file {relative!r} is not a regular file ({_file_kind(mode)})")
    return resolved


def _file_kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISDIR, "a directory"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def check_file(root: Path, relative: str, max_bytes: int, where: str) -> Path:
    """Refuse ``relative`` unless it is a regular file inside ``root`` of at most ``max_bytes`` (0 = no limit)."""
    path = _resolve_inside(root, relative, where)
    size = path.stat().st_size
    if max_bytes and size > max_bytes:
        raise BadRecording(f"{where}: file {relative!r} has {size} bytes, more than the limit of {max_bytes} "
                           "(DOWNLOAD_MAXSIZE)")
    return path


def read_file(root: Path, relative: str, max_bytes: int, where: str) -> bytes:
    """The bytes of a checked file; opened non-blocking and without following a last-moment symlink, and
    re-checked on the open descriptor, so a file swapped after the check is still refused."""
    path = check_file(root, relative, max_bytes, where)
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise BadRecording(f"{where}: file {relative!r} cannot be opened: {exc}") from None
    with os.fdopen(fd, "rb") as handle:
        mode = os.fstat(handle.fileno()).st_mode
        if not stat.S_ISREG(mode):
            raise BadRecording(f"{where}: file {relative!r} is not a regular file ({_file_kind(mode)})")
        data = handle.read(max_bytes + 1) if max_bytes else handle.read()
    if max_bytes and len(data) > max_bytes:
        raise BadRecording(f"{where}: file {relative!r} has more than the limit of {max_bytes} bytes "
                           "(DOWNLOAD_MAXSIZE)")
    return data


def read_meta(root: Path) -> dict[str, Any]:
    """``meta.json`` checked (an object; ``recorded_at`` an ISO time; ``terms`` a list of strings); {} if absent."""
    where = str(root / "meta.json")
    if not os.path.lexists(root / "meta.json"):
        return {}
    raw = read_file(root, "meta.json", META_MAX_BYTES, where)
    try:
        meta = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise BadRecording(f"{where}: not valid UTF-8 (byte {exc.start})") from None
    except ValueError as exc:
        raise BadRecording(f"{where}: not JSON: {exc}") from None
    if not isinstance(meta, dict):
        raise BadRecording(f"{where}: a JSON {type(meta).__name__}, expected an object")
    if meta.get("recorded_at") is not None:
        check_time(meta["recorded_at"], f"{where}: recorded_at")
    terms = meta.get("terms")
    if terms is not None and not (isinstance(terms, list) and all(isinstance(t, str) and t.strip() for t in terms)):
        raise BadRecording(f"{where}: terms {terms!r:.80} is not a list of non-empty strings")
    return meta


def check_time(value: object, where: str) -> None:
    if not isinstance(value, str):
        raise BadRecording(f"{where} {value!r:.60} is not an ISO 8601 string")
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadRecording(f"{where} {value!r:.60} is not an ISO 8601 time") from None


def index_lines(root: Path) -> list[tuple[int, dict[str, Any]]]:
    """(line number, entry) of every non-blank line of ``responses.jsonl``, each entry checked by ``check_entry``."""
    where = str(root / "responses.jsonl")
    raw = read_file(root, "responses.jsonl", 0, where)
    entries = []
    for number, line in enumerate(raw.split(b"\n"), start=1):
        if not line.strip():
            continue
        at = f"{where}:{number}"
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadRecording(f"{at}: not valid UTF-8 (byte {exc.start} of the line)") from None
        try:
            entry = json.loads(text)
        except ValueError as exc:
            raise BadRecording(f"{at}: not JSON: {exc}") from None
        check_entry(entry, at)
        entries.append((number, entry))
    return entries


def check_entry(entry: object, at: str) -> None:
    """Raise ``BadRecording`` unless ``entry`` has the documented fields with the documented types."""
    if not isinstance(entry, dict):
        raise BadRecording(f"{at}: a JSON {type(entry).__name__}, expected an object")
    url = entry.get("url")
    if not isinstance(url, str):
        raise BadRecording(f"{at}: url {url!r:.60} is not a string")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise BadRecording(f"{at}: url {url!r:.100} is not an absolute http(s) URL")
    method = entry.get("method", "GET")
    if not (isinstance(method, str) and method.isascii() and method.isalpha()):
        raise BadRecording(f"{at}: method {method!r:.40} is not an HTTP method")
    if entry.get("request_body") is not None and not isinstance(entry["request_body"], str):
        raise BadRecording(f"{at}: request_body is a {type(entry['request_body']).__name__}, expected a string")
    status = entry.get("status", 200)
    if type(status) is not int or not 100 <= status <= 599:
        raise BadRecording(f"{at}: status {status!r:.40} is not an HTTP status (an integer 100..599)")
    headers = entry.get("headers", {})
    if not isinstance(headers, dict) or not all(
        isinstance(values, str) or (isinstance(values, list) and all(isinstance(v, str) for v in values))
        for values in headers.values()
    ):
        raise BadRecording(f"{at}: headers is not an object of header name -> list of strings")
    if entry.get("recorded_at") is not None:
        check_time(entry["recorded_at"], f"{at}: recorded_at")
    if entry.get("kind", "http") not in KINDS:
        raise BadRecording(f"{at}: kind {entry.get('kind')!r:.40} is not one of {', '.join(KINDS)}")
    if not isinstance(entry.get("body_file"), str):
        raise BadRecording(f"{at}: body_file {entry.get('body_file')!r:.60} is not a file name")
    attempt = entry.get("attempt", 0)
    if type(attempt) is not int or attempt < 0:
        raise BadRecording(f"{at}: attempt {attempt!r:.40} is not a non-negative integer")
