"""Ozon page objects: extraction from www.ozon.ru pages and composer-api JSON. No I/O, no clock.

Both forms carry the same widget states (see ``shared/real-samples/ENDPOINTS.md``):

- SSR HTML: ``<div id="state-<widget>-<id>-<container>-<n>" data-state='<escaped JSON>'>``;
- composer JSON (``/api/composer-api.bx/page/json/v2?url=<site path>``):
  ``{widgetStates: {"<widget>-<id>-<container>-<n>": "<JSON string>"}, layoutTrackingInfo: "<JSON string>",
  seo: {script: [{innerHTML: <JSON-LD>}]}}``.

``OzonWidgetStates`` reads either form into one accessor keyed by the widget name before the first ``-``
(``webPrice`` and ``webPriceDecreasedCompact`` are different widgets). Page objects on top of it:

- ``OzonProductPage``: a product page (first layout page) -> ``ListingObservation``, ``SellerObservation``,
  ``ListingContent``; also an out-of-stock product, which Ozon may answer with a search page that carries
  a ``webOutOfStock`` widget for the product;
- ``OzonProductDetailsPage``: the second layout page (``webCharacteristics``, ``webDescription``) ->
  ``ListingContent`` with country of manufacture and manufacturer;
- ``OzonSearchPage``: a search page -> tiles, ``SearchHit``s, next page.

Money strings ("6 815 ₽" with U+2009 thin or NBSP spaces) go through price-parser into ``Decimal``.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from price_parser import Price
from scrapy.http import Response

from marketplace_spiders.items import ListingContent, ListingObservation, SearchHit, SellerObservation
from marketplace_spiders.pages.base import ProductPageRows, body_sha256
from marketplace_spiders.pages.description import description_hash
from marketplace_spiders.pages.errors import LayoutError, layout_guard

MARKETPLACE = "ozon"
SITE = "https://www.ozon.ru"
COMPOSER_PAGE = SITE + "/api/composer-api.bx/page/json/v2?url="
COUNTRY_KEYS = ("Страна-изготовитель", "Страна производства", "Страна изготовления", "Страна происхождения")
MANUFACTURER_KEYS = ("Производитель", "Изготовитель", "Фабрика-производитель")
SEARCH_GRID_WIDGETS = ("tileGridDesktop", "searchResultsV2")
PAGINATOR_WIDGETS = ("infiniteVirtualPaginator", "megaPaginator")
PRODUCT_WIDGETS = ("webProductHeading", "webPrice", "webOutOfStock")

_SKU_IN_PATH = re.compile(r"/product/(?:[^/?#]*-)?(\d+)/?")
_SELLER_ID_IN_LINK = re.compile(r"/seller/(?:[^/?#]*-)?(\d+)/?(?:[?#]|$)")
_SELLER_SLUG_IN_LINK = re.compile(r"/seller/([^/?#]+)/?")
_STOCK_HINT = re.compile(r"(\d[\d\s\u2009\u202f\xa0]*)\s*шт\.?\s+остал", re.IGNORECASE)
_NUMBER = re.compile(r"\d[\d\s\u2009\u202f\xa0]*")
_RATING = re.compile(r"^\s*(\d(?:[.,]\d+)?)\s*$")
_TAG = re.compile(r"<[^>]+>")
_LEGAL_FORM = re.compile(r"^\s*(ООО|ИП|АО|ПАО|ЗАО|ОАО|НАО|ОДО|Индивидуальный предприниматель)\b")
_OGRN = re.compile(r"^\s*(\d{13}|\d{15})\s*$")
_INN = re.compile(r"ИНН\s*:?\s*(\d{10}|\d{12})")
_OGRN_IN_TEXT = re.compile(r"(?<!\d)(\d{15}|\d{13})(?!\d)")


# -- value parsing -----------------------------------------------------------------------------------
def inn_in_lines(lines: list[str]) -> str | None:
    """The INN of a seller's legal lines ("ИНН: 2540000000")."""
    return next((m.group(1) for line in lines if (m := _INN.search(line))), None)


def ogrn_in_lines(lines: list[str]) -> str | None:
    """The OGRN (13 digits) or OGRNIP (15) of a seller's legal lines, never from the INN part of a line
    ("ОГРН 1232500012345, ИНН 2540000000")."""
    for line in lines:
        match = _OGRN_IN_TEXT.search(re.split(r"ИНН", line, flags=re.IGNORECASE)[0])
        if match:
            return match.group(1)
    return None



def parse_rub(text: Any) -> Decimal | None:
    """A money string as Ozon shows it ("6 815 ₽", "1 298,00 ₽", numbers too) -> roubles, 2 places."""
    if text is None or isinstance(text, bool):
        return None
    if isinstance(text, int | float | Decimal):
        return Decimal(str(text)).quantize(Decimal("0.01"))
    amount = Price.fromstring(str(text)).amount
    if amount is None:
        return None
    return amount.quantize(Decimal("0.01"))


def parse_count(text: Any) -> int | None:
    """The first whole number in a label ("1 300 отзывов" with thin/NBSP spaces -> 1300)."""
    if isinstance(text, int) and not isinstance(text, bool):
        return text
    if not isinstance(text, str):
        return None
    match = _NUMBER.search(text)
    if not match:
        return None
    return int(re.sub(r"\D", "", match.group(0)))


def parse_rating(text: Any) -> float | None:
    """"4.8  " / "4,8" / 4.8 -> 4.8; anything else -> None."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        return float(text)
    if not isinstance(text, str):
        return None
    match = _RATING.match(text)
    return float(match.group(1).replace(",", ".")) if match else None


def clean_text(value: Any) -> str | None:
    """Ozon texts may carry HTML entities twice-escaped (``&#34;``) and ``<b>`` tags; normalise them."""
    if not isinstance(value, str):
        return None
    text = html.unescape(_TAG.sub("", value)).replace("\xa0", " ").strip()
    return text or None


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


def seller_id_from_link(link: Any) -> str | None:
    """``/seller/tsifrovoy-mir-2444190/`` -> "2444190"; a link without a number (``/seller/ozon/``) -> its slug."""
    if not isinstance(link, str):
        return None
    match = _SELLER_ID_IN_LINK.search(link)
    if match:
        return match.group(1)
    slug = _SELLER_SLUG_IN_LINK.search(link)
    return slug.group(1) if slug else None


def _get(data: Any, *path: str | int) -> Any:
    for key in path:
        if isinstance(key, int):
            if not isinstance(data, list) or len(data) <= key:
                return None
        elif not isinstance(data, dict):
            return None
        data = data[key] if isinstance(key, int) else data.get(key)
    return data


def _loads(text: Any) -> Any:
    if not isinstance(text, str | bytes):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return None


# -- widget states -----------------------------------------------------------------------------------
@layout_guard
class OzonWidgetStates:
    """The widget states of one Ozon response, SSR HTML or composer JSON, looked up by widget name."""

    def __init__(
        self,
        states: dict[str, Any],
        layout_tracking: dict[str, Any] | None = None,
        json_ld: list[dict[str, Any]] | None = None,
        page_title: str | None = None,
        canonical: str | None = None,
        is_composer: bool = False,
    ):
        self.states = states
        self.layout_tracking = layout_tracking or {}
        self.json_ld = json_ld or []
        self.page_title = page_title
        self.canonical = canonical
        self.is_composer = is_composer

    @classmethod
    def from_response(cls, response: Response) -> OzonWidgetStates:
        if response.body.lstrip()[:1] == b"{":
            return cls._from_composer(response)
        return cls._from_html(response)

    @classmethod
    def _from_composer(cls, response: Response) -> OzonWidgetStates:
        data = _loads(response.body)
        if not isinstance(data, dict) or not isinstance(data.get("widgetStates"), dict):
            keys = sorted(data)[:10] if isinstance(data, dict) else type(data).__name__
            raise LayoutError(f"composer response without widgetStates; keys: {keys}")
        states = {key: _loads(value) for key, value in data["widgetStates"].items()}
        tracking = _loads(data.get("layoutTrackingInfo"))
        json_ld = []
        for script in _get(data, "seo", "script") or []:
            json_ld.extend(_ld_objects(_loads(_get(script, "innerHTML"))))
        canonical = next(
            (link.get("href") for link in _get(data, "seo", "link") or []
             if isinstance(link, dict) and link.get("rel") == "canonical"),
            None,
        )
        return cls(states, tracking if isinstance(tracking, dict) else None, json_ld,
                   _get(data, "seo", "title"), canonical, is_composer=True)

    @classmethod
    def _from_html(cls, response: Response) -> OzonWidgetStates:
        states: dict[str, Any] = {}
        for node in response.xpath('//div[starts-with(@id, "state-")][@data-state]'):
            states[node.attrib["id"][len("state-"):]] = _loads(node.attrib["data-state"])
        json_ld = []
        for text in response.xpath('//script[@type="application/ld+json"]/text()').getall():
            json_ld.extend(_ld_objects(_loads(text)))
        title = response.xpath("//title/text()").get()
        canonical = response.xpath('//link[@rel="canonical"]/@href').get()
        return cls(states, None, json_ld, title.strip() if title else None, canonical)

    def __bool__(self) -> bool:
        return bool(self.states)

    def names(self) -> set[str]:
        return {key.split("-", 1)[0] for key in self.states}

    def all(self, name: str) -> list[dict[str, Any]]:
        """Parsed states of every widget called ``name`` (the key up to the first ``-``), in page order."""
        return [
            value for key, value in self.states.items()
            if key.split("-", 1)[0] == name and isinstance(value, dict)
        ]

    def first(self, name: str) -> dict[str, Any] | None:
        found = self.all(name)
        return found[0] if found else None

    def ld_product(self) -> dict[str, Any]:
        return next((obj for obj in self.json_ld if obj.get("@type") == "Product"), {})


def _ld_objects(data: Any) -> list[dict[str, Any]]:
    if isinstance(data, dict):
        graph = data.get("@graph")
        return [data] + (_ld_objects(graph) if graph else [])
    if isinstance(data, list):
        return [obj for item in data for obj in _ld_objects(item)]
    return []


def _load_states(response: Response) -> OzonWidgetStates:
    states = OzonWidgetStates.from_response(response)
    if not states:
        raise LayoutError(f"no Ozon widget states (page title {states.page_title!r}); block page or new layout")
    return states


# -- product page ------------------------------------------------------------------------------------
@layout_guard
class OzonProductPage(ProductPageRows):
    """First layout page of a product (SSR HTML or composer JSON), or the search page Ozon shows for an
    out-of-stock product (a ``webOutOfStock`` widget naming it)."""

    MARKETPLACE = MARKETPLACE
    PRICE_FIELD = "webPrice.price"

    def __init__(self, response: Response):
        self.response = response
        self.states = _load_states(response)
        if not any(self.states.first(name) for name in PRODUCT_WIDGETS) and not self.states.ld_product():
            raise LayoutError(
                f"no product widgets ({', '.join(PRODUCT_WIDGETS)}) nor JSON-LD Product; "
                f"widgets: {sorted(self.states.names())[:15]}"
            )

    # raw widgets
    def _price_state(self) -> dict[str, Any]:
        return self.states.first("webPrice") or {}

    def _out_of_stock(self) -> dict[str, Any]:
        return self.states.first("webOutOfStock") or {}

    def _seller_state(self) -> dict[str, Any]:
        return self.states.first("webCurrentSeller") or {}

    # fields
    def product_id(self) -> str:
        ld = self.states.ld_product()
        candidates = [
            self.states.layout_tracking.get("sku"),
            _get(self._out_of_stock(), "sku"),
            _get(self.states.first("webDetailSKU"), "copyText"),
            _get(self.states.first("webReviewProductScore"), "itemId"),
            _get(self.states.first("webGallery"), "sku"),
            ld.get("sku"),
            sku_from_url(_get(ld, "offers", "url") or ""),
            sku_from_url(self.states.canonical or ""),
            sku_from_url(self.response.url),
        ]
        for value in candidates:
            if value is not None and str(value).isdigit():
                return str(value)
        raise LayoutError("product page without a SKU")

    def title(self) -> str:
        ld = self.states.ld_product()
        for value in (_get(self.states.first("webProductHeading"), "title"), ld.get("name"),
                      _get(self._out_of_stock(), "skuName")):
            text = clean_text(value)
            if text:
                return text
        raise LayoutError("product page without a title (webProductHeading.title / JSON-LD name)")

    def url(self) -> str:
        ld = self.states.ld_product()
        for candidate in (self.states.canonical, _get(ld, "offers", "url"), site_path_of(self.response.url)):
            if isinstance(candidate, str) and sku_from_url(candidate) == self.product_id():
                return product_url(self.product_id(), candidate)
        return product_url(self.product_id())

    def is_out_of_stock_page(self) -> bool:
        return bool(self._out_of_stock()) and not self._price_state()

    def in_stock(self) -> bool | None:
        price_state = self._price_state()
        if isinstance(price_state.get("isAvailable"), bool):
            return price_state["isAvailable"]
        if self._out_of_stock():
            return False
        sale = _get(self.states.first("webSale"), "offer", "isAvailable")
        if isinstance(sale, bool):
            return sale
        availability = str(_get(self.states.ld_product(), "offers", "availability") or "")
        if availability:
            return availability.endswith("InStock")
        return None

    def price(self) -> Decimal | None:
        """Price without the Ozon card (``webPrice.price``)."""
        if self._price_state():
            return parse_rub(self._price_state().get("price"))
        if self._out_of_stock():
            return None
        return parse_rub(_get(self.states.ld_product(), "offers", "price"))

    def card_price(self) -> Decimal | None:
        """Price with the Ozon card / partner bank (``webPrice.cardPrice``)."""
        return parse_rub(self._price_state().get("cardPrice"))

    def price_before_discount(self) -> Decimal | None:
        """Crossed-out price (``webPrice.originalPrice``)."""
        return parse_rub(self._price_state().get("originalPrice"))

    def rating(self) -> float | None:
        score = self.states.first("webReviewProductScore") or {}
        value = parse_rating(score.get("totalScore"))
        if value is not None:
            return value
        return parse_rating(_get(self.states.ld_product(), "aggregateRating", "ratingValue"))

    def review_count(self) -> int | None:
        score = self.states.first("webReviewProductScore") or {}
        if isinstance(score.get("reviewsCount"), int):
            return score["reviewsCount"]
        return parse_count(_get(self.states.ld_product(), "aggregateRating", "reviewCount"))

    def brand(self) -> str | None:
        brand_state = self.states.first("webBrand") or {}
        for item in _get(brand_state, "content", "title", "text") or []:
            text = clean_text(_get(item, "content"))
            if text:
                return text
        for value in (brand_state.get("name"), self.states.ld_product().get("brand"),
                      self.short_characteristics().get("Бренд")):
            if isinstance(value, dict):
                value = value.get("name")
            text = clean_text(value)
            if text:
                return text
        return None

    def category(self) -> str | None:
        """Leaf category of the breadcrumbs; a trailing brand crumb (``/category/x-1/brand-2/``) is skipped."""
        crumbs = _get(self.states.first("breadCrumbs"), "breadcrumbs") or []
        for crumb in reversed(crumbs):
            link = urlsplit(str(_get(crumb, "link") or "")).path
            if re.fullmatch(r"/category/[^/]+/?", link):
                return clean_text(_get(crumb, "text"))
        return clean_text(self.states.layout_tracking.get("categoryName"))

    def description(self) -> str | None:
        return clean_text(self.states.ld_product().get("description"))

    def content_characteristics(self) -> dict[str, str]:
        return self.short_characteristics()

    def short_characteristics(self) -> dict[str, str]:
        """``webShortCharacteristics``: the "О товаре" block (name -> values joined by ", ")."""
        chars: dict[str, str] = {}
        for state in self.states.all("webShortCharacteristics"):
            for item in state.get("characteristics") or []:
                name = "".join(
                    str(_get(part, "content") or "") for part in _get(item, "title", "textRs") or []
                ).strip()
                values = _join_values(_get(item, "values") or [])
                if name and values:
                    chars.setdefault(name, values)
        return chars

    def country_of_origin(self) -> str | None:
        return _first_key(self.short_characteristics(), COUNTRY_KEYS)

    def manufacturer(self) -> str | None:
        return _first_key(self.short_characteristics(), MANUFACTURER_KEYS)

    # seller
    def seller_name(self) -> str | None:
        state = self._seller_state()
        for value in (_get(state, "sellerCell", "centerBlock", "title", "text"), _get(state, "seller", "name"),
                      _get(self._out_of_stock(), "sellerName")):
            text = clean_text(value)
            if text:
                return text
        return None

    def seller_link(self) -> str | None:
        state = self._seller_state()
        for value in (_get(state, "sellerCell", "common", "action", "link"), _get(state, "seller", "link"),
                      _get(self._out_of_stock(), "sellerLink")):
            if isinstance(value, str) and "/seller/" in value:
                return value
        return None

    def seller_id(self) -> str | None:
        """Numeric id from the seller link; a link without one (``/seller/ozon/``) gives its slug."""
        legacy = _get(self._seller_state(), "seller", "id")
        if legacy is not None:
            return str(legacy)
        return seller_id_from_link(self.seller_link())

    def seller_rating(self) -> float | None:
        return parse_rating(_get(self._seller_state(), "rating", "title", "text"))

    def seller_legal_lines(self) -> list[str]:
        """Text lines of the trust-factor tooltips ("О магазине": legal name, ОГРН, working hours)."""
        lines = []
        for factor in self._seller_state().get("trustFactors") or []:
            for part in _get(factor, "tooltip", "subtitle") or []:
                text = clean_text(_get(part, "content"))
                if text:
                    lines.append(text)
        return lines

    def seller_legal_name(self) -> str | None:
        return next((line for line in self.seller_legal_lines() if _LEGAL_FORM.match(line)), None)

    def seller_ogrn(self) -> str | None:
        return next((m.group(1) for line in self.seller_legal_lines() if (m := _OGRN.match(line))), None)

    def seller_inn(self) -> str | None:
        return inn_in_lines(self.seller_legal_lines())

    def second_page_url(self) -> str:
        """composer-api URL of this product's second layout page (characteristics, description)."""
        return second_page_url(self.url())


def _join_values(values: list[Any]) -> str:
    texts = [clean_text(_get(value, "text")) for value in values]
    return ", ".join(t.rstrip(", ").strip() for t in texts if t and t.rstrip(", ").strip())


def _first_key(chars: dict[str, str], keys: tuple[str, ...]) -> str | None:
    lowered = {key.lower(): value for key, value in chars.items()}
    for key in keys:
        if key.lower() in lowered:
            return lowered[key.lower()]
    return None


# -- second layout page ------------------------------------------------------------------------------
@layout_guard
class OzonProductDetailsPage:
    """Second layout page of a product (``layout_page_index=2``): full characteristics and description."""

    def __init__(self, response: Response):
        self.response = response
        self.states = _load_states(response)
        if not self.states.first("webCharacteristics") and not self.states.first("webDescription"):
            raise LayoutError(f"no webCharacteristics/webDescription; widgets: {sorted(self.states.names())[:15]}")

    def product_id(self) -> str:
        for value in (self.states.layout_tracking.get("sku"), sku_from_url(self.response.url)):
            if value is not None and str(value).isdigit():
                return str(value)
        raise LayoutError("second product page without a SKU (layoutTrackingInfo.sku / url)")

    def characteristics(self) -> dict[str, str]:
        """``webCharacteristics.characteristics[].short[]`` and ``long[]``: name -> values joined by ", "."""
        chars: dict[str, str] = {}
        for state in self.states.all("webCharacteristics"):
            for group in state.get("characteristics") or []:
                for item in (_get(group, "short") or []) + (_get(group, "long") or []):
                    name = clean_text(_get(item, "name")) or clean_text(_get(item, "key"))
                    values = _join_values(_get(item, "values") or [])
                    if name and values:
                        chars.setdefault(name, values)
        return chars

    def description(self) -> str | None:
        for state in self.states.all("webDescription"):
            text = clean_text(state.get("richAnnotation"))
            if text:
                return text
        return clean_text(self.states.ld_product().get("description"))

    def country_of_origin(self) -> str | None:
        return _first_key(self.characteristics(), COUNTRY_KEYS)

    def manufacturer(self) -> str | None:
        return _first_key(self.characteristics(), MANUFACTURER_KEYS)

    def brand(self) -> str | None:
        return _first_key(self.characteristics(), ("Бренд",))

    def to_content(self, observed_at: datetime) -> ListingContent:
        description = self.description()
        chars = self.characteristics()
        return ListingContent(
            marketplace=MARKETPLACE,
            product_id=self.product_id(),
            description=description,
            characteristics=chars,
            country_of_origin=self.country_of_origin(),
            manufacturer=self.manufacturer(),
            brand=self.brand(),
            description_hash=description_hash(description, chars),
            observed_at=observed_at,
            response_sha256=body_sha256(self.response),
        )


# -- seller legal information -----------------------------------------------------------------------
ENTRYPOINT_PAGE = SITE + "/api/entrypoint-api.bx/page/json/v2?url="
SELLER_LEGAL_WIDGETS = ("textBlock",)
_SCHEDULE = re.compile(r"график|работает|режим работы", re.IGNORECASE)
_IDENTIFIER_LINE = re.compile(r"^\s*(ОГРН|ОГРНИП|ИНН|КПП)\b|^\s*\d{10,15}\s*$", re.IGNORECASE)


def seller_legal_url(seller_id: str) -> str:
    """entrypoint-api URL of the seller's "О магазине" modal (legal name and registration numbers)."""
    inner = f"/modal/shop-in-shop-info?seller_id={seller_id}&page_changed=true"
    return ENTRYPOINT_PAGE + quote(inner, safe="/")


@layout_guard
class OzonSellerLegalPage:
    """The seller's legal information modal (``/modal/shop-in-shop-info``), for sellers whose product page
    carries no trust-factor tooltip: ``textBlock`` widgets whose ``body[]`` holds ``textAtom.text`` lines
    (legal name, ОГРН/ОГРНИП, address, working hours)."""

    def __init__(self, response: Response, seller_id: str):
        self.response = response
        self.seller_id = seller_id
        self.states = _load_states(response)
        if not self.lines():
            raise LayoutError(f"no textBlock text lines; widgets: {sorted(self.states.names())[:15]}")

    def lines(self) -> list[str]:
        lines = []
        for name in SELLER_LEGAL_WIDGETS:
            for state in self.states.all(name):
                for atom in state.get("body") or []:
                    if _get(atom, "type") == "textAtom":
                        text = clean_text(_get(atom, "textAtom", "text"))
                        if text:
                            lines.append(text)
        return lines

    def legal_name(self) -> str | None:
        lines = [line for line in self.lines() if not _SCHEDULE.search(line)]
        with_form = next((line for line in lines if _LEGAL_FORM.match(line)), None)
        if with_form:
            return with_form
        return next((line for line in lines if not _IDENTIFIER_LINE.search(line)), None)

    def ogrn(self) -> str | None:
        return ogrn_in_lines(self.lines())

    def inn(self) -> str | None:
        return inn_in_lines(self.lines())

    def to_seller(self, observed_at: datetime, name: str | None = None) -> SellerObservation:
        return SellerObservation(
            marketplace=MARKETPLACE,
            seller_id=self.seller_id,
            name=name,
            legal_name=self.legal_name(),
            inn=self.inn(),
            ogrn=self.ogrn(),
            observed_at=observed_at,
            response_sha256=body_sha256(self.response),
        )


# -- search page -------------------------------------------------------------------------------------
@dataclass
class OzonTile:
    """One product tile of a search grid."""

    sku: str
    url: str
    title: str | None
    price: Decimal | None
    price_before_discount: Decimal | None
    stock_left: int | None
    """Units left from the "N шт осталось" hint; None when the tile shows no hint."""
    rating: float | None
    review_count: int | None
    brand: str | None

    @classmethod
    def from_state(cls, item: dict[str, Any]) -> OzonTile:
        sku = item.get("sku", item.get("id"))
        if sku is None or not str(sku).isdigit():
            raise LayoutError(f"search tile without a numeric sku: {str(item)[:80]}")
        atoms = [atom for atom in item.get("mainState") or [] if isinstance(atom, dict)]
        price, before = _tile_prices(atoms)
        rating, reviews = _tile_rating(atoms)
        link = _get(item, "action", "link")
        return cls(
            sku=str(sku),
            url=product_url(str(sku), link if isinstance(link, str) else None),
            title=_tile_title(atoms),
            price=price,
            price_before_discount=before,
            stock_left=_tile_stock(atoms),
            rating=rating,
            review_count=reviews,
            brand=_tile_brand(atoms),
        )

    def to_observation(self, observed_at: datetime, response_sha256: str) -> ListingObservation:
        return ListingObservation(
            marketplace=MARKETPLACE,
            product_id=self.sku,
            url=self.url,
            title=self.title,
            brand=self.brand,
            price=self.price,
            price_before_discount=self.price_before_discount,
            in_stock=True if self.price is not None else None,
            stock_qty=self.stock_left,
            rating=self.rating,
            review_count=self.review_count,
            source="search",
            observed_at=observed_at,
            response_sha256=response_sha256,
        )


def _atom_body(atom: dict[str, Any]) -> dict[str, Any]:
    body = atom.get(str(atom.get("type")))
    return body if isinstance(body, dict) else {}


def _automation_id(body: dict[str, Any]) -> str | None:
    return _get(body, "testInfo", "automatizationId")


def _tile_prices(atoms: list[dict[str, Any]]) -> tuple[Decimal | None, Decimal | None]:
    for atom in atoms:
        body = _atom_body(atom)
        if atom.get("type") == "priceV2":
            by_style = {p.get("textStyle"): p.get("text") for p in body.get("price") or [] if isinstance(p, dict)}
            return parse_rub(by_style.get("PRICE")), parse_rub(by_style.get("ORIGINAL_PRICE"))
        if atom.get("type") == "price":  # pre-2024 tiles
            return parse_rub(body.get("price")), parse_rub(body.get("originalPrice"))
    return None, None


def _tile_title(atoms: list[dict[str, Any]]) -> str | None:
    for atom in atoms:
        body = _atom_body(atom)
        if _automation_id(body) == "tile-name" or atom.get("id") == "name":
            return clean_text(body.get("text"))
    return None


def _atom_texts(atom: dict[str, Any]) -> list[tuple[str | None, str]]:
    """(automation id, text) of a text atom or of each label of a label list."""
    body = _atom_body(atom)
    out: list[tuple[str | None, str]] = []
    if isinstance(body.get("text"), str):
        out.append((_automation_id(body), body["text"]))
    for label in body.get("items") or []:
        if not isinstance(label, dict):
            continue
        text = label.get("title") if isinstance(label.get("title"), str) else _get(label, "text", "text")
        if isinstance(text, str):
            out.append((_automation_id(label) or _automation_id(body), text))
    return out


def _tile_stock(atoms: list[dict[str, Any]]) -> int | None:
    for atom in atoms:
        for _, text in _atom_texts(atom):
            match = _STOCK_HINT.search(text)
            if match:
                return parse_count(match.group(1))
    return None


def _tile_rating(atoms: list[dict[str, Any]]) -> tuple[float | None, int | None]:
    rating = reviews = None
    for atom in atoms:
        texts = _atom_texts(atom)
        if not any(aid and aid.startswith(("tile-list-rating", "tile-list-comments")) for aid, _ in texts):
            continue
        for _, text in texts:
            if rating is None and parse_rating(text) is not None:
                rating = parse_rating(text)
            elif reviews is None and "отзыв" in text:
                reviews = parse_count(text)
    return rating, reviews


def _tile_brand(atoms: list[dict[str, Any]]) -> str | None:
    for atom in atoms:
        for aid, text in _atom_texts(atom):
            if aid == "tile-list-paid-brand":
                return clean_text(text)
    return None


@layout_guard
class OzonSearchPage:
    """A search (or category) page: SSR HTML or composer JSON."""

    def __init__(self, response: Response):
        self.response = response
        self.states = _load_states(response)
        self._grids = [state for name in SEARCH_GRID_WIDGETS for state in self.states.all(name)]
        if not self._grids:
            raise LayoutError(f"no search grid ({', '.join(SEARCH_GRID_WIDGETS)}); "
                              f"widgets: {sorted(self.states.names())[:15]}")

    def tiles(self) -> list[OzonTile]:
        """Product tiles in page order (a SKU repeated in several grids is kept once)."""
        tiles: dict[str, OzonTile] = {}
        for grid in self._grids:
            for item in grid.get("items") or []:
                if isinstance(item, dict) and (item.get("sku") is not None or item.get("mainState")):
                    tile = OzonTile.from_state(item)
                    tiles.setdefault(tile.sku, tile)
        return list(tiles.values())

    def next_page_path(self) -> str | None:
        """Site path of the next result page (``nextPage`` of the paginator), or None on the last page."""
        for name in PAGINATOR_WIDGETS:
            for state in self.states.all(name):
                if isinstance(state.get("nextPage"), str) and state["nextPage"]:
                    return state["nextPage"]
        return None

    def next_page_url(self) -> str | None:
        """Next page in the same form as this response: composer-api URL or www.ozon.ru URL."""
        path = self.next_page_path()
        if path is None:
            return None
        return composer_url(path) if self.states.is_composer else SITE + path

    def search_hits(self, term: str, page: int, observed_at: datetime, offset: int = 0) -> list[SearchHit]:
        """One hit per tile; ``offset`` is the number of results on earlier pages (position is 1-based)."""
        sha = body_sha256(self.response)
        return [
            SearchHit(
                marketplace=MARKETPLACE,
                term=term,
                page=page,
                position=offset + index + 1,
                product_id=tile.sku,
                product_name=tile.title,
                observed_at=observed_at,
                response_sha256=sha,
            )
            for index, tile in enumerate(self.tiles())
        ]

    def observations(self, observed_at: datetime) -> list[ListingObservation]:
        """Prices and stock hints as the tiles show them (``source='search'``)."""
        sha = body_sha256(self.response)
        return [tile.to_observation(observed_at, sha) for tile in self.tiles()]
