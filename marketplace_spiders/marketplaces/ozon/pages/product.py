"""``OzonProductPage``: the first layout page of a product (SSR HTML or composer JSON) -> ``ListingObservation``,
``SellerObservation``, ``ListingContent``; also the search page Ozon answers for a sold-out product (a
``webOutOfStock`` widget naming it).

Prices keep the currency the page states ("12 990 ₸", JSON-LD ``offers.priceCurrency``); RUB only when the
page states none. A price that is not money, not positive, or in a currency other than the page's other
prices is a ``LayoutError``.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from scrapy.http import Response

from marketplace_spiders.marketplaces.ozon.pages.common import (
    MARKETPLACE,
    amount,
    clean_text,
    join_values,
    listed_price,
    product_url,
    same_currency,
    second_page_url,
    site_path_of,
    sku_from_url,
)
from marketplace_spiders.marketplaces.ozon.pages.product_seller import OzonProductSeller
from marketplace_spiders.marketplaces.ozon.pages.states import load_states
from marketplace_spiders.pages.base import ProductPageRows
from marketplace_spiders.pages.errors import LayoutError, layout_guard
from marketplace_spiders.values import (
    BRAND_KEYS,
    Money,
    characteristic,
    country_of_origin,
    get,
    manufacturer,
    parse_count,
    parse_rating,
)

PRODUCT_WIDGETS = ("webProductHeading", "webPrice", "webOutOfStock")


@layout_guard
class OzonProductPage(OzonProductSeller, ProductPageRows):
    """First layout page of a product (SSR HTML or composer JSON), or the search page Ozon shows for an
    out-of-stock product (a ``webOutOfStock`` widget naming it)."""

    MARKETPLACE = MARKETPLACE
    PRICE_FIELD = "webPrice.price"

    def __init__(self, response: Response):
        self.response = response
        self.states = load_states(response)
        if not any(self.states.first(name) for name in PRODUCT_WIDGETS) and not self.states.ld_product():
            raise LayoutError(
                f"no product widgets ({', '.join(PRODUCT_WIDGETS)}) nor JSON-LD Product; "
                f"widgets: {sorted(self.states.names())[:15]}"
            )

    def _price_state(self) -> dict[str, Any]:
        return self.states.first("webPrice") or {}

    # identity
    def product_id(self) -> str:
        ld = self.states.ld_product()
        candidates = [
            self.states.layout_tracking.get("sku"),
            get(self._out_of_stock(), "sku"),
            get(self.states.first("webDetailSKU"), "copyText"),
            get(self.states.first("webReviewProductScore"), "itemId"),
            get(self.states.first("webGallery"), "sku"),
            ld.get("sku"),
            sku_from_url(get(ld, "offers", "url") or ""),
            sku_from_url(self.states.canonical or ""),
            sku_from_url(self.response.url),
        ]
        for value in candidates:
            if value is not None and not isinstance(value, bool) and str(value).isdigit():
                return str(value)
        raise LayoutError("product page without a SKU")

    def title(self) -> str:
        ld = self.states.ld_product()
        for value in (get(self.states.first("webProductHeading"), "title"), ld.get("name"),
                      get(self._out_of_stock(), "skuName")):
            text = clean_text(value)
            if text:
                return text
        raise LayoutError("product page without a title (webProductHeading.title / JSON-LD name)")

    def url(self) -> str:
        ld = self.states.ld_product()
        for candidate in (self.states.canonical, get(ld, "offers", "url"), site_path_of(self.response.url)):
            if isinstance(candidate, str) and sku_from_url(candidate) == self.product_id():
                return product_url(self.product_id(), candidate)
        return product_url(self.product_id())

    # availability and prices
    def in_stock(self) -> bool | None:
        price_state = self._price_state()
        if isinstance(price_state.get("isAvailable"), bool):
            return price_state["isAvailable"]
        if self._out_of_stock():
            return False
        sale = get(self.states.first("webSale"), "offer", "isAvailable")
        if isinstance(sale, bool):
            return sale
        availability = str(get(self.states.ld_product(), "offers", "availability") or "")
        if availability:
            return availability.endswith("InStock")
        return None

    def _stated_currency(self) -> Any:
        """The currency the JSON-LD offer states (``priceCurrency``), or None."""
        return get(self.states.ld_product(), "offers", "priceCurrency")

    def _money(self, field: str) -> Money | None:
        value = self._price_state().get(field)
        return listed_price(value, f"webPrice.{field}", self._stated_currency())

    def _original_price(self) -> Money | None:
        """``webPrice.originalPrice``; a widget saying it shows one (``showOriginalPrice``) without it raises."""
        money = self._money("originalPrice")
        if money is None and self._price_state().get("showOriginalPrice") is True:
            raise LayoutError("webPrice.showOriginalPrice is true but there is no originalPrice")
        return money

    def prices(self) -> dict[str, Money | None]:
        """The page's prices as ``Money``: price (without the Ozon card), card price, crossed-out price."""
        if self._price_state():
            price = self._money("price")
        elif self._out_of_stock():
            price = None
        else:
            ld_price = get(self.states.ld_product(), "offers", "price")
            price = listed_price(ld_price, "JSON-LD offers.price", self._stated_currency())
        return {"price": price, "card_price": self._money("cardPrice"),
                "price_before_discount": self._original_price()}

    def currency(self) -> str:
        """The one currency of the page's prices (RUB when the page states none); mixed currencies raise."""
        return same_currency(self.prices())

    def price(self) -> Decimal | None:
        """Price without the Ozon card (``webPrice.price``)."""
        return amount(self.prices()["price"])

    def card_price(self) -> Decimal | None:
        """Price with the Ozon card / partner bank (``webPrice.cardPrice``)."""
        return amount(self.prices()["card_price"])

    def price_before_discount(self) -> Decimal | None:
        """Crossed-out price (``webPrice.originalPrice``)."""
        return amount(self.prices()["price_before_discount"])

    def rating(self) -> float | None:
        score = self.states.first("webReviewProductScore") or {}
        value = parse_rating(score.get("totalScore"))
        if value is not None:
            return value
        return parse_rating(get(self.states.ld_product(), "aggregateRating", "ratingValue"))

    def review_count(self) -> int | None:
        score = self.states.first("webReviewProductScore") or {}
        count = parse_count(score.get("reviewsCount"))
        if count is not None:
            return count
        return parse_count(get(self.states.ld_product(), "aggregateRating", "reviewCount"))

    # content
    def brand(self) -> str | None:
        brand_state = self.states.first("webBrand") or {}
        for item in get(brand_state, "content", "title", "text") or []:
            text = clean_text(get(item, "content"))
            if text:
                return text
        for value in (brand_state.get("name"), self.states.ld_product().get("brand"),
                      characteristic(self.short_characteristics(), BRAND_KEYS)):
            if isinstance(value, dict):
                value = value.get("name")
            text = clean_text(value)
            if text:
                return text
        return None

    def category(self) -> str | None:
        """Leaf category of the breadcrumbs; a trailing brand crumb (``/category/x-1/brand-2/``) is skipped."""
        crumbs = get(self.states.first("breadCrumbs"), "breadcrumbs") or []
        for crumb in reversed(crumbs):
            link = urlsplit(str(get(crumb, "link") or "")).path
            if re.fullmatch(r"/category/[^/]+/?", link):
                return clean_text(get(crumb, "text"))
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
                    str(get(part, "content") or "") for part in get(item, "title", "textRs") or []
                ).strip()
                values = join_values(get(item, "values") or [])
                if name and values:
                    chars.setdefault(name, values)
        return chars

    def country_of_origin(self) -> str | None:
        return country_of_origin(self.short_characteristics())

    def manufacturer(self) -> str | None:
        return manufacturer(self.short_characteristics())

    def second_page_url(self) -> str:
        """composer-api URL of this product's second layout page (characteristics, description)."""
        return second_page_url(self.url())
