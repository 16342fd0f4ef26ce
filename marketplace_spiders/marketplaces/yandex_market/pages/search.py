"""Yandex Market search page ``market.yandex.ru/search?text=…``: result snippets in page order. No I/O, no clock.

Results come first: a page whose ``searchResult.visibleEntityIds`` lists tiles is a result page, whatever
its visible text says (a listing titled «…ничего не нашлось…» cannot hide the results). The «ничего не
нашлось» marker is read only on a page without a result block. A page whose own counters say it has results
(``visibleSearchResult.total`` > 0, visible tiles) but from which no hit can be read is a ``LayoutError``
(malformed fetch), never an empty result: e.g. ``productShowPlace[].productId`` renamed. A product tile whose
place, product id or shop cannot be resolved is an error too, not a skipped tile. Only tiles that are not
product places (``referenceEntity`` other than ``productShowPlace``: banners) are skipped.

Prices: ``offer.price`` (with its ``currency``), the card price from the snippet's ``actualPrice`` with
suffix ``YA_PAY``; the seller id is the offer's shop's ``businessId``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from scrapy.http import Response

from marketplace_spiders.items import ListingObservation, SearchHit
from marketplace_spiders.marketplaces.yandex_market.pages.state import (
    YmCollections,
    amount_value,
    count,
    digits_id,
    one_currency,
    price_value,
    product_url,
    rating,
    text,
)
from marketplace_spiders.pages.base import body_sha256
from marketplace_spiders.pages.errors import LayoutError, layout_guard
from marketplace_spiders.values import get

MARKETPLACE = "yandex_market"
EMPTY_SEARCH_MARKERS = ("Попробуйте сформулировать запрос иначе", "ничего не нашлось", "Ничего не нашлось")
PRODUCT_TILE = "productShowPlace"


@layout_guard
class YandexMarketSearchPage:
    """A search page: result snippets in page order (``snippets()``), hits and search-row observations."""

    def __init__(self, response: Response):
        self.response = response
        self.collections = YmCollections(response)
        self._result = next(iter(self.collections.entities("visibleSearchResult").values()), {})
        if not isinstance(self._result, dict):
            raise LayoutError("visibleSearchResult of an unknown shape")
        self._order = self._visible_ids()
        total = self._stated_total()
        if self._order:
            if self._result.get("isEmpty") is True or total == 0:
                raise LayoutError(f"search page says it has no results but lists {len(self._order)} tiles")
        elif total:
            raise LayoutError(f"search page says it has {total} results but has no result list "
                              "(searchResult.visibleEntityIds)")
        elif self._tile_count():
            raise LayoutError(f"search page holds {self._tile_count()} product tiles ({PRODUCT_TILE}) but no result "
                              "list (searchResult.visibleEntityIds)")
        elif not self.is_empty():
            raise LayoutError("search page without searchResult.visibleEntityIds and without an empty-result marker")
        self._snippets = self._read_snippets()
        if self._order and not self._snippets:
            raise LayoutError(f"search page lists {len(self._order)} tiles (total {total}) but none is a product "
                              "that can be read")

    def _visible_ids(self) -> list[str]:
        ids: list[str] = []
        for result in self.collections.entities("searchResult").values():
            visible = get(result, "visibleEntityIds")
            if visible is not None and not isinstance(visible, list):
                raise LayoutError("searchResult.visibleEntityIds is not a list")
            ids.extend(str(i) for i in visible or [])
        return ids

    def _says_nothing_found(self) -> bool:
        """The visible «nothing found» text; read only on a page without a result block."""
        body = " ".join(self.response.xpath(
            "//body//text()[not(ancestor::script)][not(ancestor::noframes)]").getall())
        return any(marker in body for marker in EMPTY_SEARCH_MARKERS)

    def _tile_count(self) -> int:
        """Product tiles the page's state holds, listed or not."""
        return len(self.collections.entities(PRODUCT_TILE))

    def is_empty(self) -> bool:
        """True when the Market answered the query with no results (not a layout change). A page with a result
        block, or with product tiles in its state, is never empty, whatever its text says (seller titles are
        rendered as visible text)."""
        if self._order or self._tile_count():
            return False
        if self._result.get("isEmpty") is True or self._stated_total() == 0:
            return True
        return self._says_nothing_found()

    def _stated_total(self) -> int | None:
        """Number of results the page says the query has (``visibleSearchResult.total``, number or string)."""
        return count(self._result.get("total"))

    def total(self) -> int | None:
        """Number of results of the query; 0 on an empty result page that states no total."""
        total = self._stated_total()
        return total if total is not None else (0 if self.is_empty() else None)

    def page_number(self) -> int | None:
        return count(self._result.get("page"))

    def _tile(self, visible_id: str) -> dict[str, Any] | None:
        """The product place of a visible tile; None for a tile that is not a product (a banner)."""
        visible = self.collections.entities("visibleEntity").get(visible_id)
        if not isinstance(visible, dict):
            raise LayoutError(f"visible tile {visible_id} has no visibleEntity")
        if visible.get("referenceEntity") != PRODUCT_TILE and "productShowPlaceId" not in visible:
            return None
        place = self.collections.entities(PRODUCT_TILE).get(str(visible.get("productShowPlaceId")))
        if not isinstance(place, dict):
            raise LayoutError(f"visible tile {visible_id}: no productShowPlace {visible.get('productShowPlaceId')}")
        return place

    def _read_snippets(self) -> list[dict[str, Any]]:
        c = self.collections
        out = []
        for visible_id in self._order:
            place = self._tile(visible_id)
            if place is None:
                continue
            product_id = digits_id(place.get("productId"))
            if product_id is None:
                raise LayoutError(f"productShowPlace {place.get('id')!r} without a productId")
            offer_place = c.entities("offerShowPlace").get(str(place.get("defaultOfferShowPlaceId"))) or {}
            offer = c.entities("offer").get(str(offer_place.get("offerId"))) or {}
            product = c.entities("product").get(product_id) or {}
            snippet = get(c.entities("productSnippet").get(str(place.get("productSnippetId"))), "productPayload") or {}
            actual = get(snippet, "price", "actualPrice") or {}
            price = price_value(offer.get("price"))
            card = amount_value(actual) if actual.get("suffix") == "YA_PAY" else None
            currency = one_currency((price, card)) or "RUB"
            title = (text(get(product, "titles", "raw")) or text(get(offer, "titles", "raw"))
                     or text(get(snippet, "title", "value")))
            seller_id, seller_name = self._seller(offer)
            out.append({
                "product_id": product_id,
                "title": title,
                "price": price.amount if price else None,
                "card_price": card.amount if card else None,
                "currency": currency,
                "seller_id": seller_id,
                "seller_name": seller_name,
                "rating": rating(get(snippet, "rating", "ratingValue")),
                "rating_count": count(get(snippet, "rating", "ratingCount")),
                "stock_qty": count(offer.get("availableCount")),
                "sku": digits_id(offer.get("skuId")),
                "url": product_url(product_id),
            })
        return out

    def _seller(self, offer: dict[str, Any]) -> tuple[str | None, str | None]:
        """(business id, name) of the offer's shop; an offer naming a shop the page does not carry, or a shop
        without ``businessId``, is a LayoutError."""
        supplier = offer.get("supplierId")
        if supplier is None:
            return None, None
        shop = self.collections.entities("shop").get(str(supplier))
        if not isinstance(shop, dict):
            raise LayoutError(f"offer {offer.get('id')!r}: supplier {supplier!r} has no shop entity")
        business_id = digits_id(shop.get("businessId"))
        if business_id is None:
            raise LayoutError(f"shop {supplier!r} without businessId: no seller id")
        return business_id, text(shop.get("name"))

    def snippets(self) -> list[dict[str, Any]]:
        """One dict per visible product snippet: product_id, title, price, card_price, currency, seller_id,
        seller_name, rating, rating_count, stock_qty, sku, url."""
        return [dict(s) for s in self._snippets]

    def search_hits(self, term: str, page: int, observed_at: datetime, offset: int = 0) -> list[SearchHit]:
        """One hit per distinct product (several offers of one model collapse to the first); ``position`` is
        the snippet's place on the page plus ``offset`` (results on earlier pages)."""
        sha = body_sha256(self.response)
        hits: dict[str, SearchHit] = {}
        for index, snippet in enumerate(self._snippets):
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
        for s in self._snippets:
            if s["price"] is not None and s["price"] <= 0:
                raise LayoutError(f"search result {s['product_id']} with a price of {s['price']} (not positive)")
            rows.setdefault(s["product_id"], ListingObservation(
                marketplace=MARKETPLACE,
                product_id=s["product_id"],
                url=s["url"],
                title=s["title"],
                seller_id=s["seller_id"],
                seller_name=s["seller_name"],
                price=s["price"],
                currency=s["currency"],
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
