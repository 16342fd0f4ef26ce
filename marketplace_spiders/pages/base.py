"""What the product pages of the browser marketplaces share: the rows built from a page's accessors.

A product page object (Ozon, Yandex Market) defines the accessors (``product_id``, ``title``, ``price``, …)
for its own layout and inherits ``to_item``, ``to_seller`` and ``to_content`` from ``ProductPageRows``.
Accessors a marketplace does not show default to None.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from scrapy.http import Response

from marketplace_spiders.items import ListingContent, ListingObservation, SellerObservation
from marketplace_spiders.pages.description import description_hash
from marketplace_spiders.pages.errors import LayoutError, layout_guard


def body_sha256(response: Response) -> str:
    """sha256 of the response body: the evidence key of every row built from it (``fetches.response_sha256``)."""
    return hashlib.sha256(response.body).hexdigest()


@layout_guard
class ProductPageRows:
    """``ListingObservation``, ``SellerObservation`` and ``ListingContent`` of one product page."""

    MARKETPLACE: str
    PRICE_FIELD: str | None = None  # where the page keeps the price, named in the error of a missing price
    response: Response

    # accessors a marketplace may not have
    def stock_qty(self) -> int | None:
        return None

    def seller_legal_name(self) -> str | None:
        return None

    def seller_inn(self) -> str | None:
        return None

    def seller_ogrn(self) -> str | None:
        return None

    def seller_legal_id_rejects(self) -> str | None:
        """Numbers shown as ИНН/ОГРН that failed their checks (``LegalIds.rejected_text``), never stored as ids."""
        return None

    def currency(self) -> str:
        """ISO 4217 code of the prices as the page states it; the marketplace's default when it states none."""
        return "RUB"

    def seller_rating_count(self) -> int | None:
        return None

    def content_characteristics(self) -> dict[str, str]:
        """The characteristics this page shows (the whole list, or the short one)."""
        return self.characteristics()

    # rows
    def to_item(self, observed_at: datetime) -> ListingObservation:
        product_id = self.product_id()
        title = self.title()
        in_stock = self.in_stock()
        price = self.price()
        if in_stock is not False and price is None:
            where = f" ({self.PRICE_FIELD})" if self.PRICE_FIELD else ""
            raise LayoutError(f"product {product_id} is not marked unavailable but has no price{where}")
        if price is not None and price <= 0:
            raise LayoutError(f"product {product_id} is listed with a price of {price} (not positive)")
        return ListingObservation(
            marketplace=self.MARKETPLACE,
            product_id=product_id,
            url=self.url(),
            listing_status="listed",
            title=title,
            brand=self.brand(),
            seller_id=self.seller_id(),
            seller_name=self.seller_name(),
            price=price,
            price_before_discount=self.price_before_discount(),
            currency=self.currency(),
            in_stock=in_stock,
            stock_qty=self.stock_qty(),
            rating=self.rating(),
            review_count=self.review_count(),
            country_of_origin=self.country_of_origin(),
            manufacturer=self.manufacturer(),
            category=self.category(),
            source="product_page",
            observed_at=observed_at,
            response_sha256=body_sha256(self.response),
        )

    def to_seller(self, observed_at: datetime) -> SellerObservation | None:
        """The seller shown on the page, or None when the page shows none (e.g. a widget loaded lazily)."""
        seller_id = self.seller_id()
        if seller_id is None:
            return None
        return SellerObservation(
            marketplace=self.MARKETPLACE,
            seller_id=seller_id,
            name=self.seller_name(),
            legal_name=self.seller_legal_name(),
            inn=self.seller_inn(),
            ogrn=self.seller_ogrn(),
            legal_id_rejects=self.seller_legal_id_rejects(),
            rating=self.seller_rating(),
            review_count=self.seller_rating_count(),
            observed_at=observed_at,
            response_sha256=body_sha256(self.response),
        )

    def to_content(self, observed_at: datetime) -> ListingContent:
        description = self.description()
        chars = self.content_characteristics()
        return ListingContent(
            marketplace=self.MARKETPLACE,
            product_id=self.product_id(),
            title=self.title(),
            description=description,
            characteristics=chars,
            country_of_origin=self.country_of_origin(),
            manufacturer=self.manufacturer(),
            brand=self.brand(),
            category=self.category(),
            seller_id=self.seller_id(),
            description_hash=description_hash(description, chars),
            observed_at=observed_at,
            response_sha256=body_sha256(self.response),
        )
