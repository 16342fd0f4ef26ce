"""What every Ozon page object shares: site URLs, JSON helpers, text cleaning, prices. No I/O, no clock.

JSON paths (``get``), JSON-LD and characteristic keys are read by the shared readers of
``marketplace_spiders.values``; ``get`` is re-exported here for the Ozon modules.
"""

from __future__ import annotations

import html
import json
import re
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from marketplace_spiders.pages.errors import LayoutError
from marketplace_spiders.values import Money, get, read_price

MARKETPLACE = "ozon"
SITE = "https://www.ozon.ru"
DEFAULT_CURRENCY = "RUB"
COMPOSER_PAGE = SITE + "/api/composer-api.bx/page/json/v2?url="
ENTRYPOINT_PAGE = SITE + "/api/entrypoint-api.bx/page/json/v2?url="

_SKU_IN_PATH = re.compile(r"/product/(?:[^/?#]*-)?(\d+)/?")
_SELLER_ID_IN_LINK = re.compile(r"/seller/(?:[^/?#]*-)?(\d+)/?(?:[?#]|$)")
_SELLER_SLUG_IN_LINK = re.compile(r"/seller/([^/?#]+)/?")
# The formatting markup Ozon itself writes into its text values (real samples: ``<b>Оригинал</b>`` in label
# titles, ``<br/>``, ``<a href='…'>``, ``<span …>``, ``<div …>``; ``<font>``/``<i>``/``<strong>``/``<em>``/``<p>``
# of the same kind). Seller text inside those values is HTML-escaped by Ozon (``&#34;``, ``&#x2F;``), so a
# seller's own ``<script>`` or ``<3 шт>`` is never one of these tags once the value is read.
_OZON_MARKUP = re.compile(
    r"</?(?:b|br|span|font|i|strong|em|a|div|p|u|s|sup|sub|small|nobr)(?:\s+[^<>]*)?\s*/?>", re.IGNORECASE)
LEGAL_FORM = re.compile(r"^\s*(ООО|ИП|АО|ПАО|ЗАО|ОАО|НАО|ОДО|Индивидуальный предприниматель)\b")


# -- JSON --------------------------------------------------------------------------------------------
def loads(text: Any) -> Any:
    """JSON text -> value (None when it is not JSON); a value that is not text is returned as is."""
    if not isinstance(text, str | bytes):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return None


def clean_text(value: Any) -> str | None:
    """The text an Ozon value shows a buyer: Ozon's own formatting tags (``_OZON_MARKUP``) removed, then the
    entities Ozon escaped seller text with (``&#34;``, ``&#x2F;``, ``&amp;``, ``&lt;``) unescaped once — in
    that order, so an escaped ``&lt;b&gt;`` a seller wrote stays ``<b>`` and ``&amp;amp;`` stays ``&amp;``.
    Any other ``<…>`` (``<script>``, ``<3 шт>``) is seller text and kept."""
    if not isinstance(value, str):
        return None
    text = html.unescape(_OZON_MARKUP.sub("", value)).replace("\xa0", " ").strip()
    return text or None


def join_values(values: list[Any]) -> str:
    """Characteristic values (``[{text: "a, "}, {text: "b"}]``) joined by ", "."""
    texts = [clean_text(get(value, "text")) for value in values]
    return ", ".join(t.rstrip(", ").strip() for t in texts if t and t.rstrip(", ").strip())


# -- prices ------------------------------------------------------------------------------------------
def listed_price(value: Any, where: str, stated_currency: Any = None) -> Money | None:
    """A price of a listed product as Ozon shows it ("6 815 ₽", "12 990 ₸", 1631): amount and the currency the
    text (or ``stated_currency``, e.g. JSON-LD ``priceCurrency``) states, RUB when neither states one.

    None when there is no price; ``LayoutError`` for text that is not money, conflicting currencies, or an
    amount that is zero or negative (a listed product is never sold for that)."""
    money = read_price(value, DEFAULT_CURRENCY, stated_currency)
    if money is not None and money.amount <= 0:
        raise LayoutError(f"{where}: price {value!r:.40} is not positive")
    return money


def same_currency(prices: dict[str, Money | None]) -> str:
    """The one currency of a row's prices (``{field: Money}``); prices in different currencies raise."""
    currencies = {name: money.currency for name, money in prices.items() if money is not None}
    if len(set(currencies.values())) > 1:
        raise LayoutError(f"prices in different currencies: {currencies}")
    return next(iter(currencies.values()), DEFAULT_CURRENCY) or DEFAULT_CURRENCY


def amount(money: Money | None) -> Decimal | None:
    return None if money is None else money.amount


# -- URLs --------------------------------------------------------------------------------------------
def product_url(sku: str, slug_path: str | None = None) -> str:
    """Public product URL: the canonical ``/product/<slug>-<sku>/`` when known, else ``/product/<sku>/``."""
    if slug_path and _SKU_IN_PATH.search(slug_path):
        path = urlsplit(slug_path).path
        return SITE + path if path.endswith("/") else SITE + path + "/"
    return f"{SITE}/product/{sku}/"


def site_path_of(url: str) -> str:
    """The site path a response is for: the ``url=`` parameter of a composer URL, else the URL's own path."""
    parts = urlsplit(url)
    if "composer-api.bx" in parts.path or "entrypoint-api.bx" in parts.path:
        inner = parse_qs(parts.query).get("url")
        if inner:
            return unquote(inner[0])
        # the inner URL may be unencoded: everything after "url="
        marker = parts.query.find("url=")
        if marker >= 0:
            return unquote(parts.query[marker + 4:])
    return parts.path + (f"?{parts.query}" if parts.query else "")


def sku_from_url(url: str) -> str | None:
    match = _SKU_IN_PATH.search(site_path_of(url))
    return match.group(1) if match else None


def composer_url(site_path: str) -> str:
    """The composer-api URL that returns the widget states of a site path."""
    return COMPOSER_PAGE + quote(site_path, safe="/")


def second_page_url(product_path: str) -> str:
    """composer-api URL of a product's second layout page (``webCharacteristics``, ``webDescription``).

    ``product_path`` is ``/product/<slug>-<sku>/`` (a full URL is accepted too). The inner URL is sent
    unencoded, as the site itself does.
    """
    path = urlsplit(product_path).path
    if not _SKU_IN_PATH.search(path):
        raise ValueError(f"not a product path: {product_path!r}")
    if not path.endswith("/"):
        path += "/"
    return f"{COMPOSER_PAGE}{path}?layout_container=pdpPage2column&layout_page_index=2"


def seller_legal_url(seller_id: str) -> str:
    """entrypoint-api URL of the seller's "О магазине" modal (legal name and registration numbers)."""
    inner = f"/modal/shop-in-shop-info?seller_id={seller_id}&page_changed=true"
    return ENTRYPOINT_PAGE + quote(inner, safe="/")


def seller_id_from_link(link: Any) -> str | None:
    """``/seller/tsifrovoy-mir-2444190/`` -> "2444190"; a link without a number (``/seller/ozon/``) -> its slug."""
    if not isinstance(link, str):
        return None
    match = _SELLER_ID_IN_LINK.search(link)
    if match:
        return match.group(1)
    slug = _SELLER_SLUG_IN_LINK.search(link)
    return slug.group(1) if slug else None
