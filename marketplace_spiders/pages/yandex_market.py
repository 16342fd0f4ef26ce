"""Yandex Market page objects: extraction from market.yandex.ru SSR HTML. No I/O, no clock.

Data sits in ``<noframes data-apiary="patch">`` JSON patches (see ``shared/real-samples/ENDPOINTS.md``):
product pages carry ``{"collections": {...}}`` (``productCardMeta``, ``price``, ``shopInfo``, ``title``,
``titleV2``, ``productServiceSnippets``, ``ecommerce``, ``marketStock``, ``fullSpecs`` ...), search pages
carry the same under ``widgets/<widget>/<path>/options/collections`` (``searchResult``,
``visibleSearchResult``, ``productShowPlace``, ``offerShowPlace``, ``offer``, ``product``, ``shop``).
``YmCollections`` merges every patch of a page into one name -> {entity id -> entity} map.

Prices are integer roubles. The price a buyer pays without a Yandex Pay card is the ``regular`` old price
(or ``withoutDiscount`` when only the card discount applies); ``mainPrice`` with subtype ``ya-card`` is the
card price, exposed as ``card_price()``; ``withoutDiscount`` above the price is the crossed-out price.

``product_id`` is the Market model id (``productId``/``modelId``), the id search results use; a
``/card/<slug>/<id>`` URL carries the offer SKU (osku) instead, given by ``url_id()``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from scrapy.http import Response

from marketplace_spiders.items import ListingObservation, SearchHit
from marketplace_spiders.pages.base import ProductPageRows, body_sha256
from marketplace_spiders.pages.errors import LayoutError, layout_guard

MARKETPLACE = "yandex_market"
SITE = "https://market.yandex.ru"
COUNTRY_KEYS = ("Страна производства", "Страна-изготовитель", "Страна изготовления", "Страна происхождения")
MANUFACTURER_KEYS = ("Производитель", "Изготовитель", "Фабрика-производитель")
PRODUCT_COLLECTIONS = (
    "productCardMeta", "price", "shopInfo", "title", "titleV2", "productServiceSnippets", "ecommerce",
)
EMPTY_SEARCH_MARKERS = ("Попробуйте сформулировать запрос иначе", "ничего не нашлось", "Ничего не нашлось")

_PRODUCT_PATH = re.compile(r"/product(?:--[^/]*)?/(\d+)")
_CARD_PATH = re.compile(r"/card/[^/]+/(\d+)")
_NUMBER = re.compile(r"\d[\d\s\u2009\u202f\xa0]*")


class HollowShellError(LayoutError):
    """A Market page that arrived as an empty shell: the patches are there but every product collection is
    empty. Transient (seen 2026-09): the spider should retry the request, not store a product."""


def rub(value: Any) -> Decimal | None:
    """Integer roubles (int or numeric string) -> Decimal with 2 places."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = value.replace("\u2009", "").replace("\xa0", "").replace(" ", "")
        if not re.fullmatch(r"\d+(?:[.,]\d+)?", value):
            return None
        value = value.replace(",", ".")
    if not isinstance(value, int | float | str):
        return None
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _rating(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return round(number, 1) if number > 0 else None


def _count(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        match = _NUMBER.search(value)
        if match and not re.search(r"\d\s*[KMКМ]", value):
            return int(re.sub(r"\D", "", match.group(0)))
    return None


def _get(data: Any, *path: str | int) -> Any:
    for key in path:
        if isinstance(key, int):
            if not isinstance(data, list) or len(data) <= key:
                return None
            data = data[key]
        else:
            if not isinstance(data, dict):
                return None
            data = data.get(key)
    return data


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).replace("\xa0", " ").strip()
    return text or None


def product_url(product_id: str, sku: str | None = None) -> str:
    return f"{SITE}/product/{product_id}" + (f"?sku={sku}" if sku else "")


def id_from_url(url: str | None) -> str | None:
    """Model id of a ``/product--<slug>/<id>`` or ``/product/<id>`` URL."""
    match = _PRODUCT_PATH.search(urlsplit(url or "").path)
    return match.group(1) if match else None


def card_id_from_url(url: str | None) -> str | None:
    """Offer SKU of a ``/card/<slug>/<id>`` URL."""
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
    """Every ``collections`` object of a page's apiary patches, merged: name -> {entity id -> entity}."""

    def __init__(self, response: Response):
        self.patch_count = 0
        self.broken_patches = 0
        self.data: dict[str, dict[str, Any]] = {}
        for text in response.xpath('//noframes[@data-apiary="patch"]/text()').getall():
            self.patch_count += 1
            try:
                patch = json.loads(text)
            except ValueError:
                self.broken_patches += 1
                continue
            for collections in _find_collections(patch):
                for name, entities in collections.items():
                    if isinstance(entities, dict):
                        self.data.setdefault(name, {}).update(entities)

    def entities(self, name: str) -> dict[str, Any]:
        return self.data.get(name) or {}

    def has_entities(self, name: str) -> bool:
        return bool(self.entities(name))


def _json_ld(response: Response) -> list[dict[str, Any]]:
    objects: list[dict[str, Any]] = []
    for text in response.xpath('//script[@type="application/ld+json"]/text()').getall():
        try:
            data = json.loads(text)
        except ValueError:
            continue
        for obj in data if isinstance(data, list) else [data]:
            if isinstance(obj, dict):
                objects.append(obj)
    return objects


def _characteristic(chars: dict[str, str], keys: tuple[str, ...]) -> str | None:
    lowered = {key.lower(): value for key, value in chars.items()}
    return next((lowered[key.lower()] for key in keys if key.lower() in lowered), None)


# -- product page ------------------------------------------------------------------------------------
@layout_guard
class YandexMarketProductPage(ProductPageRows):
    """A product page, ``/product--<slug>/<id>`` (2025) or ``/card/<slug>/<id>`` (2026)."""

    MARKETPLACE = MARKETPLACE

    def __init__(self, response: Response):
        self.response = response
        self.collections = YmCollections(response)
        self.json_ld = _json_ld(response)
        self.ld_product = next((o for o in self.json_ld if o.get("@type") == "Product"), {})
        if self.collections.has_entities("searchResult"):
            raise LayoutError("a search page, not a product page")
        has_product_data = any(self.collections.has_entities(name) for name in PRODUCT_COLLECTIONS)
        if not has_product_data:
            if self.collections.patch_count or response.xpath("//*[@data-apiary-widget]"):
                raise HollowShellError(
                    f"hollow shell: {self.collections.patch_count} apiary patches, all product collections empty"
                )
            raise LayoutError("no apiary patches with product collections: not a Market product page")
        self._key = self._main_key()

    def _main_key(self) -> str | None:
        """Entity id shared by the page's own product collections (other products may appear too)."""
        counts: dict[str, int] = {}
        for name in PRODUCT_COLLECTIONS:
            for key in self.collections.entities(name):
                counts[key] = counts.get(key, 0) + 1
        return max(counts, key=lambda key: counts[key]) if counts else None

    def _entity(self, name: str) -> dict[str, Any]:
        entities = self.collections.entities(name)
        value = entities.get(self._key) if self._key in entities else next(iter(entities.values()), None)
        return value if isinstance(value, dict) else {}

    def _meta(self) -> dict[str, Any]:
        return self._entity("productCardMeta")

    def _snippet(self) -> dict[str, Any]:
        return _get(self._entity("productServiceSnippets"), "productSnippet") or {}

    def _price_entity(self) -> dict[str, Any]:
        return self._entity("price")

    # ids
    def url_id(self) -> str | None:
        """The id in the page URL: model id (``/product--``) or offer SKU (``/card/``)."""
        for url in (self.response.url, self.ld_product.get("url"), self._canonical()):
            found = id_from_url(url) or card_id_from_url(url)
            if found:
                return found
        return None

    def product_id(self) -> str:
        candidates = [
            self._meta().get("productId"),
            self._entity("ecommerce").get("productId"),
            _get(self._snippet(), "baobabPayload", "modelId"),
            _get(self.collections.entities("pageParams"), "current", "params", "productId"),
            id_from_url(self.response.url),
            id_from_url(self.ld_product.get("url")),
            id_from_url(self._canonical()),
            card_id_from_url(self.response.url),
            card_id_from_url(self.ld_product.get("url")),
        ]
        for value in candidates:
            if value is not None and str(value).isdigit():
                return str(value)
        raise LayoutError("product page without a product id (productCardMeta/ecommerce/URL)")

    def sku(self) -> str | None:
        """Market SKU of the offer shown."""
        url_sku = parse_qs(urlsplit(self.response.url).query).get("sku", [None])[0]
        for value in (self._meta().get("marketSku"), _get(self._snippet(), "baobabPayload", "marketSku"),
                      _get(self.collections.entities("pageParams"), "current", "params", "sku"),
                      self.ld_product.get("sku"), url_sku):
            if value is not None and str(value).isdigit():
                return str(value)
        return None

    def _canonical(self) -> str | None:
        return self.response.xpath('//link[@rel="canonical"]/@href').get()

    def url(self) -> str:
        return product_url(self.product_id(), self.sku())

    # fields
    def title(self) -> str:
        snippet_title = _get(self._snippet(), "productPayload", "title", "value")
        for value in (self._meta().get("title"), _get(self._entity("title"), "raw"),
                      self._entity("titleV2").get("title"), snippet_title, self._entity("ecommerce").get("name"),
                      self.ld_product.get("name")):
            text = _text(value)
            if text:
                return text
        raise LayoutError("product page without a title")

    def _prices_by_type(self) -> dict[str, Decimal]:
        entity = self._price_entity()
        prices: dict[str, Decimal] = {}
        for old in entity.get("oldPrices") or []:
            value = rub(_get(old, "price", "value"))
            if value is not None and isinstance(_get(old, "type"), str):
                prices.setdefault(old["type"], value)
        return prices

    def _main_price_is_card(self) -> bool:
        main = self._price_entity().get("mainPrice") or {}
        return main.get("subtype") == "ya-card"

    def card_price(self) -> Decimal | None:
        """Price with the Yandex Pay card (``mainPrice`` of subtype ``ya-card``)."""
        if self._main_price_is_card():
            return rub(_get(self._price_entity(), "mainPrice", "price", "value"))
        snippet_price = _get(self._snippet(), "productPayload", "price", "actualPrice")
        if _get(snippet_price, "suffix") == "YA_PAY":
            return rub(_get(snippet_price, "amount", "intPart"))
        return None

    def price(self) -> Decimal | None:
        """Price without the card: ``regular`` old price, else ``withoutDiscount`` when ``mainPrice`` is the
        card price, else ``mainPrice``; then the snippet's prices; then JSON-LD."""
        by_type = self._prices_by_type()
        main = rub(_get(self._price_entity(), "mainPrice", "price", "value"))
        if "regular" in by_type:
            return by_type["regular"]
        if self._main_price_is_card() and "withoutDiscount" in by_type:
            return by_type["withoutDiscount"]
        if main is not None:
            return main
        snippet = _get(self._snippet(), "productPayload", "price") or {}
        for key in ("oldPrice", "actualPrice"):
            value = rub(_get(snippet, key, "amount", "intPart"))
            if value is not None and (key == "actualPrice" or _get(snippet, "actualPrice", "suffix") == "YA_PAY"):
                return value
        return rub(_get(self.ld_product, "offers", "price"))

    def price_before_discount(self) -> Decimal | None:
        """Crossed-out price (``withoutDiscount``) when it is above the price."""
        price = self.price()
        before = self._prices_by_type().get("withoutDiscount")
        if before is None:
            before = rub(_get(self._snippet(), "productPayload", "price", "initialPrice", "amount", "intPart"))
        if before is None or price is None or before <= price:
            return None
        return before

    def stock_qty(self) -> int | None:
        stocks = _get(self._entity("marketStock"), "stocks")
        if isinstance(stocks, list):
            amounts = [s.get("amount") for s in stocks if isinstance(s, dict) and isinstance(s.get("amount"), int)]
            if amounts:
                return sum(amounts)
        return _count(_get(self._snippet(), "baobabPayload", "stockCount"))

    def in_stock(self) -> bool | None:
        if self.collections.has_entities("outOfStock"):
            return False
        availability = str(_get(self.ld_product, "offers", "availability") or "")
        if availability:
            return availability.endswith("InStock")
        qty = self.stock_qty()
        if qty is not None:
            return qty > 0
        return True if self.price() is not None else None

    def rating(self) -> float | None:
        """Product rating, 0-5, rounded to one decimal as shown; None when the product has no ratings."""
        for value in (self._meta().get("rating"), _get(self._snippet(), "productPayload", "rating", "ratingValue"),
                      self._entity("businessRatingStats").get("ratingValue"),
                      _get(self.collections.entities("reviews"), "ratingStats", "ratingValue"),
                      _get(self.ld_product, "aggregateRating", "ratingValue")):
            rating = _rating(value)
            if rating is not None:
                return rating
        return None

    def rating_count(self) -> int | None:
        """Number of ratings (оценки), which is more than the number of written reviews."""
        for value in (self._meta().get("ratingCount"), _get(self._snippet(), "productPayload", "rating", "ratingCount"),
                      self._entity("businessRatingStats").get("ratingCount"),
                      _get(self.ld_product, "aggregateRating", "ratingCount")):
            count = _count(value)
            if count is not None:
                return count
        return None

    def review_count(self) -> int | None:
        """Number of written reviews (отзывы); 0 when the page says there are none."""
        reviews = self.collections.entities("reviews")
        for value in (_get(reviews, "reviewStats", "reviewsCount"),
                      _get(self._snippet(), "productPayload", "rating", "reviewsCount"),
                      self._entity("businessReviewStats").get("reviewsCount"),
                      _get(self.ld_product, "aggregateRating", "reviewCount")):
            count = _count(value)
            if count is not None:
                return count
        if reviews.get("emptyState") and reviews.get("reviews") == []:
            return 0
        return None

    def brand(self) -> str | None:
        for value in (self._meta().get("vendorName"), self._entity("vendor").get("name"),
                      _get(self._entity("titleV2"), "vendor", "name"),
                      _get(self._snippet(), "productPayload", "brand", "value"),
                      self._entity("ecommerce").get("brand"), self.ld_product.get("brand")):
            if isinstance(value, dict):
                value = value.get("name")
            text = _text(value)
            if text:
                return text
        return None

    def category(self) -> str | None:
        for value in (self._meta().get("category"), self._entity("ecommerce").get("category")):
            text = _text(value)
            if text:
                return text
        crumbs = next((o for o in self.json_ld if o.get("@type") == "BreadcrumbList"), {})
        for element in reversed(crumbs.get("itemListElement") or []):
            link = str(_get(element, "item", "@id") or "")
            if "glfilter" not in link:  # a trailing crumb filtered by brand is not a category
                return _text(_get(element, "item", "name"))
        return None

    def description(self) -> str | None:
        """Seller's description (``productCardMeta.description`` / ``fullDescription``); the JSON-LD text is
        an SEO blurb and is not used."""
        for value in (self._meta().get("description"), self._entity("fullDescription").get("text")):
            text = _text(value)
            if text:
                return text
        return None

    def characteristics(self) -> dict[str, str]:
        chars: dict[str, str] = {}
        for item in _get(self._entity("fullSpecs"), "specItems") or []:
            name, value = _text(_get(item, "name")), _text(_get(item, "value"))
            if name and value:
                chars.setdefault(name, value)
        for group in _get(self._entity("fullSpecsGrouped"), "groups") or []:
            for item in _get(group, "items") or []:
                name, value = _text(_get(item, "name")), _text(_get(item, "value"))
                if name and value:
                    chars.setdefault(name, value)
        return chars

    def country_of_origin(self) -> str | None:
        return _characteristic(self.characteristics(), COUNTRY_KEYS)

    def manufacturer(self) -> str | None:
        return _characteristic(self.characteristics(), MANUFACTURER_KEYS)

    # seller
    def _shop(self) -> dict[str, Any]:
        return self._entity("shopInfo")

    def seller_id(self) -> str | None:
        """Business id of the shop (``shopInfo.businessId``; search results give the same id)."""
        for value in (self._shop().get("businessId"), self._shop().get("shopId")):
            if value is not None and str(value).isdigit():
                return str(value)
        return None

    def seller_name(self) -> str | None:
        return _text(self._shop().get("name")) or _text(self._entity("businessRatingStats").get("shopName"))

    def seller_rating(self) -> float | None:
        return _rating(self._shop().get("rating"))

    def seller_rating_count(self) -> int | None:
        for stat in self._shop().get("stats") or []:
            if isinstance(stat, dict) and isinstance(stat.get("value"), int):
                return stat["value"]
        return None

# -- search page -------------------------------------------------------------------------------------
@layout_guard
class YandexMarketSearchPage:
    """A search page ``market.yandex.ru/search?text=…``: result snippets in page order."""

    def __init__(self, response: Response):
        self.response = response
        self.collections = YmCollections(response)
        self._result = next(iter(self.collections.entities("visibleSearchResult").values()), {})
        self._order = self._visible_ids()
        if not self._order and not self.is_empty():
            raise LayoutError("search page without searchResult.visibleEntityIds and without an empty-result marker")

    def _visible_ids(self) -> list[str]:
        ids: list[str] = []
        for result in self.collections.entities("searchResult").values():
            ids.extend(str(i) for i in _get(result, "visibleEntityIds") or [])
        return ids

    def is_empty(self) -> bool:
        """True when the Market answered the query with no results (not a layout change)."""
        if self._result.get("isEmpty") is True or self._result.get("total") == 0:
            return True
        text = " ".join(self.response.xpath("//body//text()[not(ancestor::script)][not(ancestor::noframes)]").getall())
        return any(marker in text for marker in EMPTY_SEARCH_MARKERS)

    def total(self) -> int | None:
        total = self._result.get("total")
        return total if isinstance(total, int) else (0 if self.is_empty() else None)

    def page_number(self) -> int | None:
        page = self._result.get("page")
        return page if isinstance(page, int) else None

    def snippets(self) -> list[dict[str, Any]]:
        """One dict per visible product snippet: product_id, title, price, card_price, seller_id, seller_name,
        rating, rating_count, stock_qty, sku, url."""
        c = self.collections
        out = []
        for visible_id in self._order:
            visible = c.entities("visibleEntity").get(visible_id) or {}
            place = c.entities("productShowPlace").get(str(visible.get("productShowPlaceId"))) or {}
            product_id = place.get("productId")
            if product_id is None:
                continue  # banners and other non-product entities
            offer_place = c.entities("offerShowPlace").get(str(place.get("defaultOfferShowPlaceId"))) or {}
            offer = c.entities("offer").get(str(offer_place.get("offerId"))) or {}
            product = c.entities("product").get(str(product_id)) or {}
            snippet = _get(c.entities("productSnippet").get(str(place.get("productSnippetId"))), "productPayload") or {}
            shop = c.entities("shop").get(str(offer.get("supplierId"))) or {}
            actual = _get(snippet, "price", "actualPrice") or {}
            title = (_text(_get(product, "titles", "raw")) or _text(_get(offer, "titles", "raw"))
                     or _text(_get(snippet, "title", "value")))
            out.append({
                "product_id": str(product_id),
                "title": title,
                "price": rub(_get(offer, "price", "value")),
                "card_price": rub(_get(actual, "amount", "intPart")) if actual.get("suffix") == "YA_PAY" else None,
                "seller_id": str(shop["businessId"]) if shop.get("businessId") is not None else None,
                "seller_name": _text(shop.get("name")),
                "rating": _rating(_get(snippet, "rating", "ratingValue")),
                "rating_count": _count(_get(snippet, "rating", "ratingCount")),
                "stock_qty": _count(offer.get("availableCount")),
                "sku": str(offer["skuId"]) if offer.get("skuId") is not None else None,
                "url": product_url(str(product_id)),
            })
        return out

    def search_hits(self, term: str, page: int, observed_at: datetime, offset: int = 0) -> list[SearchHit]:
        """One hit per distinct product (several offers of one model collapse to the first); ``position`` is
        the snippet's place on the page plus ``offset`` (results on earlier pages)."""
        sha = body_sha256(self.response)
        hits: dict[str, SearchHit] = {}
        for index, snippet in enumerate(self.snippets()):
            hits.setdefault(snippet["product_id"], SearchHit(
                marketplace=MARKETPLACE,
                term=term,
                page=page,
                position=offset + index + 1,
                product_id=snippet["product_id"],
                product_name=snippet["title"],
                observed_at=observed_at,
                response_sha256=sha,
            ))
        return list(hits.values())

    def observations(self, observed_at: datetime) -> list[ListingObservation]:
        """Prices and stock as the snippets show them (``source='search'``), one per distinct product."""
        sha = body_sha256(self.response)
        rows: dict[str, ListingObservation] = {}
        for s in self.snippets():
            rows.setdefault(s["product_id"], ListingObservation(
                marketplace=MARKETPLACE,
                product_id=s["product_id"],
                url=s["url"],
                title=s["title"],
                seller_id=s["seller_id"],
                seller_name=s["seller_name"],
                price=s["price"],
                in_stock=True if s["price"] is not None else None,
                stock_qty=s["stock_qty"],
                rating=s["rating"],
                source="search",
                observed_at=observed_at,
                response_sha256=sha,
            ))
        return list(rows.values())

    def next_page_url(self) -> str | None:
        if self._result.get("hasNextPage") is not True:
            return None
        current = self.page_number() or 1
        parts = urlsplit(self.response.url)
        query = parse_qs(parts.query, keep_blank_values=True)
        query["page"] = [str(current + 1)]
        return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query, doseq=True), ""))
