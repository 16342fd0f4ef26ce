"""JSON-LD (schema.org) objects of a page, read strictly, from HTML or from Ozon-style composer JSON.

Where pages carry them:

- HTML: ``<script type="application/ld+json">…</script>`` blocks (Yandex Market, Ozon SSR pages);
- composer JSON (Ozon's ``/api/composer-api.bx/page/json/v2``): ``seo.script[].innerHTML``, each a JSON-LD
  document as a string (or, seen in no sample but accepted, already parsed).

A block may hold one object, a list of objects, or an object with an ``@graph`` list; ``ld_objects`` flattens
them into one list in document order (an object before the objects of its ``@graph``). A block that is not
valid JSON (a page cut mid-block, a broken state) is a ``LayoutError``: what it held (a name, a price
currency, a SKU) would otherwise be read from somewhere else or not at all, silently. An empty block is no
object. Values that are not objects (a bare string or number) are skipped: they state nothing.
"""

from __future__ import annotations

import json
from typing import Any

from marketplace_spiders.pages.errors import LayoutError
from marketplace_spiders.values.json_path import get

LD_TYPE = "application/ld+json"
LD_SCRIPTS_XPATH = f'//script[@type="{LD_TYPE}"]/text()'


def ld_objects(data: Any) -> list[dict[str, Any]]:
    """Every schema.org object of a parsed JSON-LD document: the object itself, then its ``@graph`` (nested
    graphs too); lists are walked in order."""
    if isinstance(data, dict):
        return [data, *ld_objects(data.get("@graph"))]
    if isinstance(data, list):
        return [obj for item in data for obj in ld_objects(item)]
    return []


def parse_ld(text: Any, where: str = "JSON-LD block") -> list[dict[str, Any]]:
    """The objects of one JSON-LD block given as text (bytes too) or already parsed; invalid JSON raises."""
    if not isinstance(text, str | bytes):
        return ld_objects(text)
    if not text.strip():
        return []
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise LayoutError(f"{where} is not valid JSON: {exc}") from exc
    return ld_objects(data)


def ld_from_html(response: Any) -> list[dict[str, Any]]:
    """The JSON-LD objects of an HTML page (anything with Scrapy's ``xpath``: a response or a selector)."""
    objects: list[dict[str, Any]] = []
    for index, block in enumerate(response.xpath(LD_SCRIPTS_XPATH).getall()):
        objects.extend(parse_ld(block, f"JSON-LD block {index + 1}"))
    return objects


def ld_from_composer(data: Any) -> list[dict[str, Any]]:
    """The JSON-LD objects of a composer JSON page: ``seo.script[].innerHTML`` of the scripts whose ``type`` is
    ``application/ld+json`` (or not stated, as in HTML a script's type is what makes it JSON-LD)."""
    objects: list[dict[str, Any]] = []
    scripts = get(data, "seo", "script")
    for index, script in enumerate(scripts if isinstance(scripts, list) else []):
        if get(script, "type") not in (None, LD_TYPE):
            continue
        objects.extend(parse_ld(get(script, "innerHTML"), f"seo.script[{index}].innerHTML"))
    return objects


def ld_first(objects: list[dict[str, Any]], schema_type: str) -> dict[str, Any]:
    """The first object of ``@type`` ``schema_type`` (a type list containing it counts); {} when none is."""
    for obj in objects:
        kind = obj.get("@type")
        if kind == schema_type or isinstance(kind, list) and schema_type in kind:
            return obj
    return {}
