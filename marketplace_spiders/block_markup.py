"""Where a block page puts its markers: the markup of an HTML challenge page, never the text a seller wrote.

A real product or search page carries seller-written text (titles, brand and seller names, descriptions)
in text nodes, in free-text attributes (``alt``, ``title``, ``aria-label``, ``content``), in ``<a href>``
slugs and in JSON state blobs (inline ``<script>``, ``<noframes>``, ``data-*`` attribute values). None of
those places is searched here. A challenge page is recognised by what only its own markup can say:

* its whole ``<title>`` (exact, whitespace-normalised: a real page's title adds the marketplace's suffix
  to the product name);
* the URLs of its own resources and forms (``script src``, ``link href``, ``iframe src``,
  ``form action``), matched on their path segments;
* identifiers of its elements (``id``/``class``/``name`` tokens) and attribute *names*
  (``data-site-key`` + ``data-req-uuid``);
* text nodes only when the response arrived with a block status (``TEXT_MARKER_STATUSES``): a
  Qrator "Guru meditation" or an Avito/Ozon incident page says so in its text, and no seller text is
  served with a 403.

``scan_markup`` returns ``(kind, reason)`` for the first rule that matches, or None.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

from marketplace_spiders.block_kinds import all_block_kinds

TEXT_MARKER_STATUSES = frozenset({401, 403, 429, 503})
"""Statuses on which text nodes are searched (block pages' own wording)."""

TITLE_PAGE_MAX_BYTES = 64 * 1024
"""The whole-``<title>`` rule applies only to bodies at most this big: block pages are small (the largest
real one, Avito's captcha variant, is 43 KB), real product/search pages run to megabytes."""

MAX_TEXT_CHARS = 16_000
"""Collected text (title, text nodes) is capped: block pages are small."""

# The markers of every block kind (marketplace_spiders.block_kinds: the core's, then each marketplace's).
_KINDS = all_block_kinds()
# Whole <title> of a challenge page (whitespace-normalised) -> kind.
TITLES: dict[str, str] = {title: k.kind for k in _KINDS for title in k.titles}
# Path segments (in order) of the challenge's own resource/form URLs -> kind.
RESOURCE_PATHS: tuple[tuple[str, tuple[str, ...]], ...] = tuple(
    (k.kind, path) for k in _KINDS for path in k.resource_paths)
# Substring of a script's src host or path (lower case) -> kind.
SCRIPT_HOSTS: tuple[tuple[str, str], ...] = tuple((word, k.kind) for k in _KINDS for word in k.script_hosts)
# Substring of an id/class/name token (lower case) -> kind. Not the bare word "captcha": healthy YM pages
# preload an empty @marketfront/CaptchaService widget.
IDENTIFIERS: tuple[tuple[str, str], ...] = tuple((word, k.kind) for k in _KINDS for word in k.identifiers)
# Attribute names that together mark a challenge page -> kind.
ATTRIBUTES: tuple[tuple[tuple[str, ...], str], ...] = tuple((k.attributes, k.kind) for k in _KINDS if k.attributes)
# Text-node wording of block pages, searched only on TEXT_MARKER_STATUSES.
TEXTS: tuple[tuple[str, str], ...] = tuple((words, k.kind) for k in _KINDS for words in k.texts)

# Tag -> its attribute holding a URL of the page's own resource or form (not <a href>: product links carry
# slugs made from seller titles).
RESOURCE_ATTRIBUTES = {"script": "src", "link": "href", "iframe": "src", "form": "action"}
IDENTIFIER_ATTRIBUTES = ("id", "class", "name")
RAW_TEXT_TAGS = frozenset({"script", "style", "noframes", "template", "textarea"})

PRECHECK: tuple[bytes, ...] = tuple(dict.fromkeys(word for k in _KINDS for word in k.precheck))
"""Lower-cased byte strings, one of which must be in the (lower-cased) head before markup is parsed."""


def might_carry_markers(head: bytes) -> bool:
    """Cheap test first: most healthy pages contain none of the words and are not parsed at all."""
    lowered = _lower(head)
    return any(word in lowered for word in PRECHECK)


def scan_markup(head: str, status: int, size: int) -> tuple[str, str] | None:
    """(kind, reason) of the challenge page ``head`` (decoded HTML, ``size`` bytes in all) is, or None."""
    scanner = _Scanner(collect_text=status in TEXT_MARKER_STATUSES)
    try:
        scanner.feed(head)
        scanner.close()
    except (AssertionError, ValueError):  # html.parser gives up on some garbage: judge what was read
        pass
    title = " ".join("".join(scanner.title).split())
    if title in TITLES and size <= TITLE_PAGE_MAX_BYTES:
        return TITLES[title], f"<title> is {title!r}"
    for tag, url in scanner.urls:
        found = _resource_kind(tag, url)
        if found:
            return found
    for token in scanner.identifiers:
        for word, kind in IDENTIFIERS:
            if word in token:
                return kind, f"element id/class {token!r}"
    for names, kind in ATTRIBUTES:
        if all(name in scanner.attribute_names for name in names):
            return kind, "elements carry " + " and ".join(repr(name) for name in names) + " attributes"
    text = " ".join("".join(scanner.text).split())
    for words, kind in TEXTS:
        if words in text:
            return kind, f"HTTP {status} page says {words!r}"
    return None


def _resource_kind(tag: str, url: str) -> tuple[str, str] | None:
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    segments = [segment for segment in parts.path.lower().split("/") if segment]
    for kind, wanted in RESOURCE_PATHS:
        size = len(wanted)
        if any(tuple(segments[i:i + size]) == wanted for i in range(len(segments) - size + 1)):
            return kind, f"{tag} {RESOURCE_ATTRIBUTES[tag]} {url[:200]!r}"
    if tag == "script":
        where = f"{parts.netloc} {parts.path}".lower()
        for word, kind in SCRIPT_HOSTS:
            if word in where:
                return kind, f"script src {url[:200]!r}"
    return None


def _lower(data: bytes) -> bytes:
    """ASCII lower case plus the Cyrillic capitals the markers start with (Д, П)."""
    return data.lower().replace("Д".encode(), "д".encode()).replace("П".encode(), "п".encode())


class _Scanner(HTMLParser):
    """Collects the title, resource URLs, identifiers, attribute names and (optionally) text nodes."""

    def __init__(self, collect_text: bool):
        super().__init__(convert_charrefs=True)
        self.collect_text = collect_text
        self.title: list[str] = []
        self.text: list[str] = []
        self.urls: list[tuple[str, str]] = []
        self.identifiers: list[str] = []
        self.attribute_names: set[str] = set()
        self._in_title = False
        self._titles_seen = 0
        self._raw_depth = 0
        self._chars = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = RESOURCE_ATTRIBUTES.get(tag)
        for name, value in attrs:
            self.attribute_names.add(name)
            if value is None:
                continue
            if name == wanted:
                self.urls.append((tag, value))
            elif name in IDENTIFIER_ATTRIBUTES:
                self.identifiers += value.lower().split()
        if tag == "title":
            self._in_title = self._titles_seen == 0  # only the document's first <title> (an <svg> has its own)
            self._titles_seen += 1
        elif tag in RAW_TEXT_TAGS:
            self._raw_depth += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in RAW_TEXT_TAGS:
            self._raw_depth = max(self._raw_depth - 1, 0)
        if tag == "title":
            self._in_title = False

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag in RAW_TEXT_TAGS:
            self._raw_depth = max(self._raw_depth - 1, 0)

    def handle_data(self, data: str) -> None:
        if self._chars > MAX_TEXT_CHARS:
            return
        if self._in_title:
            self.title.append(data)
            self._chars += len(data)
        elif self.collect_text and not self._raw_depth:
            self.text.append(data)
            self._chars += len(data)
