"""The state a Yandex Market page carries, read strictly: apiary patches, JSON-LD, money, URLs. No I/O, no clock.

Data sits in ``<noframes data-apiary="patch">`` JSON patches (see ``shared/real-samples/ENDPOINTS.md``):
product pages carry ``{"collections": {...}}`` (``productCardMeta``, ``price``, ``shopInfo``, ``title``,
``titleV2``, ``productServiceSnippets``, ``ecommerce``, ``marketStock``, ``fullSpecs`` ...), search pages
carry the same under ``widgets/<widget>/<path>/options/collections`` (``searchResult``,
``visibleSearchResult``, ``productShowPlace``, ``offerShowPlace``, ``offer``, ``product``, ``shop``).
``YmCollections`` merges every patch of a page into one name -> {entity id -> entity} map.

A patch or JSON-LD block that is not valid JSON (a page truncated mid-patch), or a body that stops before
``</html>``, is a ``LayoutError``: what the missing part held (an id, a price) would otherwise be read from
somewhere else or not at all, silently.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urlsplit

from scrapy.http import Response

from marketplace_spiders.pages.errors import LayoutError, layout_guard
from marketplace_spiders.values import Money, currency_code, get, ld_from_html, parse_count, parse_rating, read_price

SITE = "https://market.yandex.ru"
_PRODUCT_PATH = re.compile(r"/product(?:--[^/]*)?/(\d+)")
_CARD_PATH = re.compile(r"/card/[^/]+/(\d+)")
_HTML_END = re.compile(rb"</html>\s*$", re.IGNORECASE)


def text(value: Any) -> str | None:
    if value is None:
        return None
    out = str(value).replace("\xa0", " ").strip()
    return out or None


def digits_id(value: Any) -> str | None:
    """An id the page sends as a number or a digit string; None when absent."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value) if value >= 0 else None
    if isinstance(value, str) and value.strip().isdigit() and value.strip().isascii():
        return value.strip()
    return None


def rating(value: Any) -> float | None:
    """A 0-5 rating rounded to one decimal as shown; 0 (Market's "no ratings yet") is None."""
    number = parse_rating(value)
    return round(number, 1) if number else None


def count(value: Any) -> int | None:
    return parse_count(value)


def money(value: Any, currency: Any) -> Money | None:
    """A Market amount (``{"value": 979, "currency": "RUR"}`` or ``{"intPart": "180", "currency": "RUR"}``)
    with the currency the page states beside it; RUB only when the page states none."""
    return read_price(value, stated_currency=currency)


def price_value(node: Any) -> Money | None:
    """``{"value": …, "currency": …}`` -> Money."""
    return money(get(node, "value"), get(node, "currency")) if isinstance(node, dict) else None


def amount_value(node: Any) -> Money | None:
    """A snippet price ``{"amount": {"intPart": …, "currency": …, "currencyLabel": "₽"}}`` -> Money. The
    code and the label must agree."""
    amount = get(node, "amount")
    if not isinstance(amount, dict):
        return None
    found = money(amount.get("intPart"), amount.get("currency"))
    label = amount.get("currencyLabel")
    if found is not None and label:
        labelled = read_price(amount.get("intPart"), stated_currency=label)
        if labelled is not None and labelled.currency != found.currency:
            raise LayoutError(f"snippet price {amount.get('intPart')!r}: currency {amount.get('currency')!r} "
                              f"but label {label!r}")
    return found


def one_currency(amounts: Iterable[Money | None], stated: Iterable[Any] = ()) -> str | None:
    """The one currency of these amounts and of the other currency fields of the page; two -> LayoutError."""
    codes = {m.currency for m in amounts if m is not None and m.currency}
    for value in stated:
        if value in (None, ""):
            continue
        code = currency_code(value)
        if code is None:
            raise LayoutError(f"unknown currency {value!r:.40}")
        codes.add(code)
    if len(codes) > 1:
        raise LayoutError(f"prices on one page in several currencies: {', '.join(sorted(codes))}")
    return next(iter(codes), None)


# -- URLs --------------------------------------------------------------------------------------------
def product_url(product_id: str, sku: str | None = None) -> str:
    return f"{SITE}/product/{product_id}" + (f"?sku={sku}" if sku else "")


def id_from_url(url: str | None) -> str | None:
    """Model id of a ``/product--<slug>/<id>`` or ``/product/<id>`` URL."""
    match = _PRODUCT_PATH.search(urlsplit(url or "").path)
    return match.group(1) if match else None


def card_id_from_url(url: str | None) -> str | None:
    """Offer SKU of a ``/card/<slug>/<id>`` URL (not a model id: never a listing's id)."""
    match = _CARD_PATH.search(urlsplit(url or "").path)
    return match.group(1) if match else None


# -- collections -------------------------------------------------------------------------------------
def _find_collections(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "collections" and isinstance(value, dict):
                yield value
            else:
                yield from _find_collections(value)
    elif isinstance(data, list):
        for value in data:
            yield from _find_collections(value)


@layout_guard
class YmCollections:
    """Every ``collections`` object of a page's apiary patches, merged: name -> {entity id -> entity}.

    Raises ``LayoutError`` when a patch is not valid JSON or the body stops before ``</html>``."""

    def __init__(self, response: Response):
        self.patch_count = 0
        self.data: dict[str, dict[str, Any]] = {}
        broken: list[int] = []
        for index, patch_text in enumerate(response.xpath('//noframes[@data-apiary="patch"]/text()').getall()):
            self.patch_count += 1
            try:
                patch = json.loads(patch_text)
            except ValueError:
                broken.append(index + 1)
                continue
            for collections in _find_collections(patch):
                for name, entities in collections.items():
                    if isinstance(entities, dict):
                        self.data.setdefault(name, {}).update(entities)
        if broken:
            raise LayoutError(f"apiary patch {', '.join(map(str, broken))} of {self.patch_count} is not valid JSON "
                              "(page truncated or broken state)")
        if self.patch_count and not _HTML_END.search(response.body[-4096:]):
            raise LayoutError(f"page truncated: the body ({len(response.body)} bytes) stops before </html>")

    def entities(self, name: str) -> dict[str, Any]:
        found = self.data.get(name)
        return found if isinstance(found, dict) else {}

    def has_entities(self, name: str) -> bool:
        return bool(self.entities(name))


def json_ld(response: Response) -> list[dict[str, Any]]:
    """The page's schema.org objects (shared reader ``values.ld_from_html``: ``@graph`` objects included); a
    block that is not valid JSON is a LayoutError."""
    return ld_from_html(response)
