"""Recognise block and challenge responses before a page object tries to parse them.

``detect_block`` looks at what a response *is* (status, a few headers, the start of the body, the URL)
and names the anti-bot answer it matches, or returns None for anything else. It never decides that a
response is healthy; a page object still fails loudly on a layout it does not know.

The markers come from real captures (``shared/real-samples/*/BLOCKED_*``) and from what other projects
report (``shared/real-samples/ENDPOINTS.md``). A built marketplace declares its own kinds and markers in
``marketplaces/<slug>/blocks.py``; the core keeps the generic kinds and those of anti-bot systems whose
marketplace has no folder yet (``block_kinds.CORE_BLOCK_KINDS``). Markers are distinctive enough to be checked on every
marketplace, so ``Block.kind`` names the anti-bot system that answered (``ym_smartcaptcha`` on a Lamoda
page is Yandex SmartCaptcha too), while ``Block.marketplace`` is the marketplace that was asked.

Body markers are looked for only where a block page puts them (``block_markup``), never inside a
response that is the expected data: a body starting with ``{`` or ``[`` is JSON and only the top-level
keys of the small block envelopes count (Megamarket code 7, Avito ``too-many-requests``); an HTML body is
judged by its markup (whole ``<title>``, ``script src`` / ``link href`` / ``form action`` paths,
element ids/classes, attribute names) and, on a 401/403/429/503 only, by its text. Text a seller wrote
(titles, names, descriptions, JSON state blobs) therefore never changes the verdict. Only the first
``HEAD_BYTES`` of a body are read: block pages are small, healthy pages run to 2 MB.

Kinds today (``KINDS`` is computed from the registry; ``retryable`` = an automatic retry after a back-off
has a real chance without a new IP, session or browser):

=====================  =========  ====================================================================
kind                   retryable  what it is
=====================  =========  ====================================================================
wbaas_challenge        no         WB "Почти готово..." JS challenge (needs an ``x_wbaas_token`` cookie)
status_498             no         WB ``__internal`` endpoint asked without the anti-bot token
tls_fingerprint_403    no         WB JSON host answering 403 HTML (Angie) to a non-browser TLS handshake
rate_limited           yes        HTTP 429
ozon_access_restricted no         Ozon «Доступ ограничен» page (``fab_chlg_`` incident, ``abt-challenge``)
ozon_redirect_loop     no         Ozon 307 self-redirect chain (``__rr=1``, ``__rr=2`` ...)
ym_smartcaptcha        no         Yandex SmartCaptcha (``/showcaptcha``, ``checkbox_captcha``)
megamarket_code7       no         ServicePipe JSON ``{"error": ..., "code": 7, "ip": ...}``
avito_firewall         no         Avito «Доступ ограничен: проблема с IP» / ``firewall/captcha/show``
qrator                 no         Qrator (DNS, Citilink): ``/__qrator/``, "Guru meditation", 401/403
forbidden              no         any other 401/403
json_endpoint_html     no         a JSON endpoint answering HTML (body starts with ``<``)
empty_302              yes        a redirect with an empty body and nowhere to go (YM, ~1 in 10)
=====================  =========  ====================================================================
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from marketplace_spiders.block_kinds import all_block_kinds, marketplace_block_kinds
from marketplace_spiders.block_markup import might_carry_markers, scan_markup
from marketplace_spiders.marketplaces.descriptor import BlockResponse

HEAD_BYTES = 64 * 1024
"""How much of a body is read for markers."""

SMALL_JSON_BYTES = 4096
"""JSON bodies up to this size are parsed for a block envelope (envelopes are tiny)."""

QRATOR_MARKETPLACES = frozenset({"dns_shop", "citilink"})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

KINDS = frozenset(kind.kind for kind in all_block_kinds())
RETRYABLE_KINDS = frozenset(kind.kind for kind in all_block_kinds() if kind.retryable)

Headers = Mapping[Any, Any]
"""A plain ``dict[str, str]`` or Scrapy ``Headers`` (bytes keys, lists of bytes values)."""


@dataclass(frozen=True)
class Block:
    """A response recognised as a block or challenge rather than the page asked for."""

    marketplace: str
    """Marketplace slug the request was for."""
    kind: str
    """What answered, one of ``KINDS``."""
    reason: str
    """Human-readable: the status/marker/header that gave it away."""
    retryable: bool
    """True when retrying after a back-off may succeed without a new IP, session or browser."""


def detect_block(
    marketplace: str,
    status: int,
    headers: Headers | None,
    body: bytes,
    url: str,
    expected: str = "json",
) -> Block | None:
    """Name the block/challenge this response is, or None when it does not look like one.

    ``url`` is the response URL (after redirects); ``expected`` is what the endpoint normally returns,
    "json" or "html".
    Checks run from the most to the least specific: the body (JSON envelope keys, or the markup of an
    HTML challenge page), redirects, statuses, then a JSON endpoint answering HTML.
    """
    head = bytes(body[:HEAD_BYTES])
    location = _header(headers, "location")

    def block(kind: str, reason: str) -> Block:
        return Block(marketplace, kind, reason, kind in RETRYABLE_KINDS)

    first = _first_byte(head)
    if first in (b"{", b"["):
        # The body is JSON data, never an HTML challenge page: only the block envelopes' own keys count,
        # never a marker inside a string value (a seller's title).
        envelope = _json_envelope(head, len(body))
        if envelope:
            return block(*envelope)
    elif might_carry_markers(head):
        found = scan_markup(_decode(head, _header(headers, "content-type")), status, len(body))
        if found:
            return block(*found)

    seen = BlockResponse(marketplace, status, head, first, url, location, _header(headers, "server"), expected)

    def declared(stage: str) -> Block | None:
        """The first marketplace-declared kind whose response rule of ``stage`` matches."""
        for owner, kind in marketplace_block_kinds():
            if kind.check is None or kind.stage != stage or (kind.own_marketplace_only and owner != marketplace):
                continue
            reason = kind.check(seen)
            if reason:
                return block(kind.kind, reason)
        return None

    found = declared("url") or (declared("redirect") if status in REDIRECT_STATUSES else None)
    if found:
        return found
    if status == 429:
        return block("rate_limited", "HTTP 429 Too Many Requests")
    found = declared("status")
    if found:
        return found
    if status in (401, 403):
        if marketplace in QRATOR_MARKETPLACES:
            return block("qrator", f"HTTP {status} from a Qrator-protected site")
        return block("forbidden", f"HTTP {status}")
    if expected == "json" and first == b"<":
        content_type = _header(headers, "content-type") or "no Content-Type"
        return block("json_endpoint_html", f"JSON endpoint answered HTML ({content_type})")
    return None


def _header(headers: Headers | None, name: str) -> str:
    """First value of a header, case-insensitively, from a dict or Scrapy Headers; '' when absent."""
    if not headers:
        return ""
    wanted = name.lower()
    for key, value in headers.items():
        text_key = key.decode("latin-1") if isinstance(key, bytes) else str(key)
        if text_key.lower() != wanted:
            continue
        if isinstance(value, list | tuple):
            value = value[0] if value else ""
        return value.decode("latin-1") if isinstance(value, bytes) else str(value)
    return ""


def _first_byte(head: bytes) -> bytes:
    """The first byte after a UTF-8 BOM and whitespace (b'' for an empty body)."""
    return head.removeprefix(b"\xef\xbb\xbf").lstrip()[:1]


def _json_envelope(head: bytes, size: int) -> tuple[str, str] | None:
    """(kind, reason) of a small JSON block envelope, judged by its top-level keys only.

    ServicePipe (Megamarket): ``{"error": ..., "code": 7, "ip": ...}``; Avito's firewall:
    ``{"too-many-requests": {"link": "ru.avito://1/firewall/captcha/show"}}``.
    """
    if size > SMALL_JSON_BYTES or _first_byte(head) != b"{":
        return None
    try:
        parsed = json.loads(head.decode("utf-8", errors="replace").lstrip("\ufeff"))
    except (ValueError, RecursionError):
        return None
    if not isinstance(parsed, dict):
        return None
    if str(parsed.get("code")) == "7" and "ip" in parsed:
        return "megamarket_code7", 'JSON body with "code": 7 and "ip" (ServicePipe IP block)'
    limit = parsed.get("too-many-requests")
    link = limit.get("link") if isinstance(limit, dict) else None
    if isinstance(link, str) and "/firewall/captcha/" in link:
        return "avito_firewall", f'JSON "too-many-requests" envelope linking {link[:200]!r}'
    return None


def _decode(head: bytes, content_type: str) -> str:
    """The head as text: the Content-Type charset when it names one Python knows, else UTF-8."""
    charset = ""
    for part in content_type.split(";"):
        name, _, value = part.strip().partition("=")
        if name.lower() == "charset":
            charset = value.strip().strip('"\'')
    try:
        return head.decode(charset or "utf-8", errors="replace")
    except LookupError:
        return head.decode("utf-8", errors="replace")
