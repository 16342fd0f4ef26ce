"""Yandex Market product page: extraction from market.yandex.ru SSR HTML. No I/O, no clock.

The page state (apiary patches, JSON-LD) is read by ``yandex_market_state``, prices by
``yandex_market_prices`` (one documented source per money column; JSON-LD ``offers.price`` is the Ya Pay card
price and never the price). Search pages are ``yandex_market_search.YandexMarketSearchPage``.

Identity has one source per page layout, and a missing id is a ``LayoutError``, never an id from elsewhere:
``productCardMeta.productId`` (2026 ``/card/`` pages), else ``ecommerce.productId`` (2025 ``/product--``
pages), else the product snippet's ``baobabPayload.modelId``. This is the Market model id, the id search
results use; the ``/card/<slug>/<id>`` URL carries the offer SKU (osku) instead (``url_id()``) and is never a
listing's id. Every other statement of the model id on the page (``pageParams``, JSON-LD/canonical
``/product/`` URLs, the other sources) must agree. The seller id is ``shopInfo.businessId`` (search results
give the same id); a ``shopInfo`` without it is an error.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

from scrapy.http import Response

from marketplace_spiders.marketplaces.yandex_market.pages.prices import YmPrices, read_product_prices
from marketplace_spiders.marketplaces.yandex_market.pages.search import YandexMarketSearchPage
from marketplace_spiders.marketplaces.yandex_market.pages.state import (
    SITE,
    YmCollections,
    card_id_from_url,
    count,
    digits_id,
    id_from_url,
    json_ld,
    one_currency,
    product_url,
    rating,
    text,
)
from marketplace_spiders.pages.base import ProductPageRows
from marketplace_spiders.pages.errors import LayoutError, layout_guard
from marketplace_spiders.values import country_of_origin, get, ld_first, manufacturer

__all__ = [
    "SITE", "HollowShellError", "YandexMarketProductPage", "YandexMarketSearchPage", "card_id_from_url",
    "id_from_url", "product_url",
]

MARKETPLACE = "yandex_market"
PRODUCT_COLLECTIONS = (
    "productCardMeta", "price", "shopInfo", "title", "titleV2", "productServiceSnippets", "ecommerce",
)
# (collection, path of the model id inside the product's entity), by page layout: the first collection the
# page has is the one source of the id.
ID_SOURCES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("productCardMeta", ("productId",)),
    ("ecommerce", ("productId",)),
    ("productServiceSnippets", ("productSnippet", "baobabPayload", "modelId")),
)


class HollowShellError(LayoutError):
    """A Market page that arrived as an empty shell: the patches are there but every product collection is
    empty. Transient (seen 2026-09): the spider should retry the request, not store a product."""


@layout_guard
class YandexMarketProductPage(ProductPageRows):
    """A product page, ``/product--<slug>/<id>`` (2025) or ``/card/<slug>/<id>`` (2026)."""

    MARKETPLACE = MARKETPLACE

    def __init__(self, response: Response):
        self.response = response
        self.collections = YmCollections(response)
        self.json_ld = json_ld(response)
        self.ld_product = ld_first(self.json_ld, "Product")
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
        self._prices: YmPrices | None = read_product_prices(
            self._entity("price"), get(self._snippet(), "productPayload", "price"), self._entity("ecommerce"))

    def _main_key(self) -> str | None:
        """Entity id shared by the page's own product collections (other products may appear too)."""
        counts: dict[str, int] = {}
        for name in PRODUCT_COLLECTIONS:
            for key in self.collections.entities(name):
                counts[key] = counts.get(key, 0) + 1
        return max(counts, key=lambda key: counts[key]) if counts else None

    def _entity(self, name: str) -> dict[str, Any]:
        """The page product's entity of a collection (the main key only: another key is another product)."""
        value = self.collections.entities(name).get(self._key)
        return value if isinstance(value, dict) else {}

    def _meta(self) -> dict[str, Any]:
        return self._entity("productCardMeta")

    def _snippet(self) -> dict[str, Any]:
        return get(self._entity("productServiceSnippets"), "productSnippet") or {}

    # ids
    def url_id(self) -> str | None:
        """The id in the page URL: model id (``/product--``) or offer SKU (``/card/``)."""
        for url in (self.response.url, self.ld_product.get("url"), self._canonical()):
            found = id_from_url(url) or card_id_from_url(url)
            if found:
                return found
        return None

    def product_id(self) -> str:
        for name, path in ID_SOURCES:
            if self._entity(name):
                product_id = digits_id(get(self._entity(name), *path))
                if product_id is None:
                    raise LayoutError(f"{name} without {'.'.join(path)}: no product id (a /card/ URL's id is the "
                                      "offer SKU, not the listing's id)")
                break
        else:
            raise LayoutError("product page without productCardMeta, ecommerce or product snippet: no product id")
        stated = {digits_id(get(self._entity(n), *p)) for n, p in ID_SOURCES}
        stated.add(digits_id(get(self.collections.entities("pageParams"), "current", "params", "productId")))
        stated.update({id_from_url(self.ld_product.get("url")), id_from_url(self._canonical())})
        others = stated - {None, product_id}
        if others:
            raise LayoutError(f"product id {product_id} from {name}, but the page also states {sorted(others)}")
        return product_id

    def sku(self) -> str | None:
        """Market SKU of the offer shown."""
        url_sku = parse_qs(urlsplit(self.response.url).query).get("sku", [None])[0]
        for value in (self._meta().get("marketSku"), get(self._snippet(), "baobabPayload", "marketSku"),
                      get(self.collections.entities("pageParams"), "current", "params", "sku"),
                      self.ld_product.get("sku"), url_sku):
            if digits_id(value):
                return digits_id(value)
        return None

    def _canonical(self) -> str | None:
        return self.response.xpath('//link[@rel="canonical"]/@href').get()

    def url(self) -> str:
        return product_url(self.product_id(), self.sku())

    # fields
    def title(self) -> str:
        snippet_title = get(self._snippet(), "productPayload", "title", "value")
        for value in (self._meta().get("title"), get(self._entity("title"), "raw"),
                      self._entity("titleV2").get("title"), snippet_title, self._entity("ecommerce").get("name"),
                      self.ld_product.get("name")):
            found = text(value)
            if found:
                return found
        raise LayoutError("product page without a title")

    def card_price(self) -> Decimal | None:
        """Price with the Yandex Pay card."""
        card = self._prices.card if self._prices else None
        return card.amount if card else None

    def price(self) -> Decimal | None:
        """Price without the card (``yandex_market_prices``); None when the page shows none."""
        price = self._prices.price if self._prices else None
        return price.amount if price else None

    def price_before_discount(self) -> Decimal | None:
        """Crossed-out price when it is above the price."""
        before = self._prices.before if self._prices else None
        return before.amount if before else None

    def currency(self) -> str:
        """The one currency the page states for its prices (price collection, snippet, JSON-LD
        ``priceCurrency``, ``ecommerce.currency``); RUB when it states none; two currencies -> LayoutError."""
        amounts = self._prices.amounts() if self._prices else ()
        stated = (get(self.ld_product, "offers", "priceCurrency"), self._entity("ecommerce").get("currency"))
        return one_currency(amounts, stated) or "RUB"

    def stock_qty(self) -> int | None:
        stocks = get(self._entity("marketStock"), "stocks")
        if isinstance(stocks, list):
            amounts = [count(s.get("amount")) for s in stocks if isinstance(s, dict)]
            if any(a is not None for a in amounts):
                return sum(a for a in amounts if a is not None)
        return count(get(self._snippet(), "baobabPayload", "stockCount"))

    def in_stock(self) -> bool | None:
        if self.collections.has_entities("outOfStock"):
            return False
        availability = str(get(self.ld_product, "offers", "availability") or "")
        if availability:
            return availability.endswith("InStock")
        qty = self.stock_qty()
        if qty is not None:
            return qty > 0
        return True if self.price() is not None else None

    def rating(self) -> float | None:
        """Product rating, 0-5, rounded to one decimal as shown; None when the product has no ratings."""
        for value in (self._meta().get("rating"), get(self._snippet(), "productPayload", "rating", "ratingValue"),
                      self._entity("businessRatingStats").get("ratingValue"),
                      get(self.collections.entities("reviews"), "ratingStats", "ratingValue"),
                      get(self.ld_product, "aggregateRating", "ratingValue")):
            found = rating(value)
            if found is not None:
                return found
        return None

    def rating_count(self) -> int | None:
        """Number of ratings (оценки), which is more than the number of written reviews."""
        for value in (self._meta().get("ratingCount"), get(self._snippet(), "productPayload", "rating", "ratingCount"),
                      self._entity("businessRatingStats").get("ratingCount"),
                      get(self.ld_product, "aggregateRating", "ratingCount")):
            found = count(value)
            if found is not None:
                return found
        return None

    def review_count(self) -> int | None:
        """Number of written reviews (отзывы); 0 when the page says there are none."""
        reviews = self.collections.entities("reviews")
        for value in (get(reviews, "reviewStats", "reviewsCount"),
                      get(self._snippet(), "productPayload", "rating", "reviewsCount"),
                      self._entity("businessReviewStats").get("reviewsCount"),
                      get(self.ld_product, "aggregateRating", "reviewCount")):
            found = count(value)
            if found is not None:
                return found
        if reviews.get("emptyState") and reviews.get("reviews") == []:
            return 0
        return None

    def brand(self) -> str | None:
        for value in (self._meta().get("vendorName"), self._entity("vendor").get("name"),
                      get(self._entity("titleV2"), "vendor", "name"),
                      get(self._snippet(), "productPayload", "brand", "value"),
                      self._entity("ecommerce").get("brand"), self.ld_product.get("brand")):
            if isinstance(value, dict):
                value = value.get("name")
            found = text(value)
            if found:
                return found
        return None

    def category(self) -> str | None:
        for value in (self._meta().get("category"), self._entity("ecommerce").get("category")):
            found = text(value)
            if found:
                return found
        crumbs = ld_first(self.json_ld, "BreadcrumbList")
        for element in reversed(crumbs.get("itemListElement") or []):
            link = str(get(element, "item", "@id") or "")
            if "glfilter" not in link:  # a trailing crumb filtered by brand is not a category
                return text(get(element, "item", "name"))
        return None

    def description(self) -> str | None:
        """Seller's description (``productCardMeta.description`` / ``fullDescription``); the JSON-LD text is
        an SEO blurb and is not used."""
        for value in (self._meta().get("description"), self._entity("fullDescription").get("text")):
            found = text(value)
            if found:
                return found
        return None

    def characteristics(self) -> dict[str, str]:
        chars: dict[str, str] = {}
        items = list(get(self._entity("fullSpecs"), "specItems") or [])
        for group in get(self._entity("fullSpecsGrouped"), "groups") or []:
            items.extend(get(group, "items") or [])
        for item in items:
            name, value = text(get(item, "name")), text(get(item, "value"))
            if name and value:
                chars.setdefault(name, value)
        return chars

    def country_of_origin(self) -> str | None:
        return country_of_origin(self.characteristics())

    def manufacturer(self) -> str | None:
        return manufacturer(self.characteristics())

    # seller
    def _shop(self) -> dict[str, Any]:
        return self._entity("shopInfo")

    def seller_id(self) -> str | None:
        """Business id of the shop (``shopInfo.businessId``, the id search results give); None when the page
        shows no shop; a shop without it is a LayoutError (``shopId`` is another id, not a fallback)."""
        shop = self._shop()
        if not shop:
            return None
        seller_id = digits_id(shop.get("businessId"))
        if seller_id is None:
            raise LayoutError("shopInfo without businessId: no seller id")
        return seller_id

    def seller_name(self) -> str | None:
        return text(self._shop().get("name")) or text(self._entity("businessRatingStats").get("shopName"))

    def seller_rating(self) -> float | None:
        return rating(self._shop().get("rating"))

    def seller_rating_count(self) -> int | None:
        for stat in self._shop().get("stats") or []:
            found = count(stat.get("value")) if isinstance(stat, dict) else None
            if found is not None:
                return found
        return None
