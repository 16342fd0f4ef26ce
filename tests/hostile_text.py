"""Regenerable hostile variants of real samples: seller-written text carrying block markers, invisible
characters, markup and formula prefixes, written into a real page's text the way the marketplace would
serve it (JSON-escaped inside JSON and inline scripts, HTML-escaped in text nodes and attributes).

Nothing here is hand-edited: every variant is derived from the real sample by the functions below, so a
new real sample or a new marker is covered by re-running the tests.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from typing import Any

BLOCK_MARKERS = (
    "Guru meditation", "SmartCaptcha", "/showcaptcha?retpath=x", "/checkcaptcha", "checkbox_captcha",
    "fab_chlg_20251212134856_01KC9D4S46D25PTERFK7AY2W8A", "abt-challenge", "/__qrator/", "/__qrator/qauth.js",
    "__wbaas/challenges/antibot", "/__wbaas/challenges/antibot/__static/v1/index.js",
    "data-site-key data-req-uuid", 'data-site-key="7400" data-req-uuid="6ea0"', "Доступ ограничен",
    "Доступ ограничен: проблема с IP", "<title>Доступ ограничен</title>", "firewall/captcha/show",
    "ru.avito://1/firewall/captcha/show", '<script src="/__qrator/qauth_utm_v2.js"></script>',
    '<form action="/checkcaptcha?key=1">', '<link href="https://cdn2.ozone.ru/s3/abt-challenge/style_v28.css">',
    "Почти готово...", '{"error": "x", "code": 7, "ip": "203.0.113.7"}',
    '{"too-many-requests":{"link":"ru.avito://1/firewall/captcha/show"}}',
)
"""Every body marker detect_block knows, spelled as a seller could type it into a title."""

INVISIBLE = ("\u200b", "\u200d", "\u2060", "\ufeff", "\u00ad", "\ufe0f", "e\u0301", "\u0308")
MARKUP = ("<b>жирный</b>", "**жирный**", "[ссылка](https://x.invalid)", "<script>alert(1)</script>",
          "&amp; &lt;", "# заголовок", "`код`", "| a | b |")
FORMULAS = ("=1+1", "+7 (999)", "-5%", "@SUM(A1)", "=HYPERLINK(\"x\")")
DOLLARS = ("$x^2$", "$$\\sum$$", "цена $100$")
HOSTILE = BLOCK_MARKERS + INVISIBLE + MARKUP + FORMULAS + DOLLARS


_OZON_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;", "/": "&#x2F;"}


def ozon_escape(text: str) -> str:
    """Seller text the way Ozon serves it inside its JSON text values: HTML-escaped once, with the entities
    the real samples show (``&#34;`` for a quote and ``&#x2F;`` for a slash, marketplaces/ozon/real_samples/
    ozon_search_page_kartina_2025-12__botass740.html); a literal ``<b>`` in such a value is Ozon's own markup."""
    return "".join(_OZON_ESCAPES.get(char, char) for char in text)


def inject_json(document: Any, change: Callable[[str], str]) -> Any:
    """Every string value changed by ``change`` (keys kept); a string that is itself a JSON object or array
    (Ozon's ``widgetStates``) is changed inside and serialised back the way Ozon writes it."""
    if isinstance(document, dict):
        return {key: inject_json(value, change) for key, value in document.items()}
    if isinstance(document, list):
        return [inject_json(value, change) for value in document]
    if isinstance(document, str):
        nested = _nested_json(document)
        if nested is not None:
            return json.dumps(inject_json(nested, change), ensure_ascii=False, separators=(",", ":"))
        return change(document)
    return document


def inject_json_body(body: bytes, change: Callable[[str], str]) -> bytes:
    return json.dumps(inject_json(json.loads(body), change), ensure_ascii=False).encode()


def replace_json_strings(document: Any, wanted: dict[str, str]) -> Any:
    """String values equal to a key of ``wanted`` (after strip) replaced by its value, nested JSON included."""
    def change(value: str) -> str:
        return wanted.get(value.strip(), value)
    return inject_json(document, change)


_SCRIPT = re.compile(r"(<(script|noframes|style)\b[^>]*>)(.*?)(</\2\s*>)", re.S | re.I)
_TEXT = re.compile(r">([^<]+)<")
_FREE_ATTRIBUTE = re.compile(r'(\s(?:alt|title|aria-label|content|placeholder|value|data-[\w-]+)=")([^"]*)(")')


def inject_html(text: str, hostile: str) -> str:
    """``hostile`` appended to every text node and free-text attribute (HTML-escaped) and inside every
    inline script / noframes blob (JSON-escaped, as a JSON state blob would carry it)."""
    escaped = html.escape(hostile)
    as_json = json.dumps(hostile, ensure_ascii=False)[1:-1].replace("<", "\\u003c").replace("/", "\\/")
    pieces = []
    last = 0
    for match in _SCRIPT.finditer(text):
        pieces.append(_inject_markup(text[last:match.start()], escaped))
        body = match.group(3)
        pieces.append(match.group(1) + (body + ";/*" + as_json + "*/" if body.strip() else body) + match.group(4))
        last = match.end()
    pieces.append(_inject_markup(text[last:], escaped))
    return "".join(pieces)


def _inject_markup(text: str, escaped: str) -> str:
    text = _TEXT.sub(lambda m: ">" + m.group(1) + escaped + "<" if m.group(1).strip() else m.group(0), text)
    return _FREE_ATTRIBUTE.sub(lambda m: m.group(1) + m.group(2) + escaped + m.group(3), text)


def replace_html_text(text: str, old: str, new: str) -> str:
    """The seller-written value ``old`` replaced by ``new`` wherever the page holds exactly that value: a
    text node or attribute whose (unescaped, stripped) text is ``old`` (HTML-escaped back), and a string
    of an inline JSON blob (``<script>``, ``<noframes>`` state) equal to it. Never a substring: a brand
    inside a title stays as it is."""
    pieces = []
    last = 0
    for match in _SCRIPT.finditer(text):
        pieces.append(_replace_markup(text[last:match.start()], old, new))
        pieces.append(match.group(1) + _replace_blob(match.group(3), old, new) + match.group(4))
        last = match.end()
    pieces.append(_replace_markup(text[last:], old, new))
    return "".join(pieces)


def _replace_blob(blob: str, old: str, new: str) -> str:
    try:
        document = json.loads(blob)
    except ValueError:
        return blob
    changed = replace_json_strings(document, {old: new})
    if changed == document:
        return blob
    return json.dumps(changed, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")


_ATTRIBUTE_VALUE = re.compile(r'(=")([^"]*)(")')


def _replace_markup(text: str, old: str, new: str) -> str:
    def node(match: re.Match) -> str:
        inner = match.group(1)
        if html.unescape(inner).strip() != old:
            return match.group(0)
        return ">" + inner.replace(inner.strip(), html.escape(new, quote=False)) + "<"

    def attribute(match: re.Match) -> str:
        if html.unescape(match.group(2)).strip() != old:
            return match.group(0)
        return match.group(1) + html.escape(new) + match.group(3)

    return _ATTRIBUTE_VALUE.sub(attribute, _TEXT.sub(node, text))


def _nested_json(value: str) -> Any:
    stripped = value.lstrip()
    if not stripped.startswith(("{", "[")):
        return None
    try:
        parsed = json.loads(value)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict | list) else None
