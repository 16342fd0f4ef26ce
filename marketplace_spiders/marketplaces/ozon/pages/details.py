"""``OzonProductDetailsPage``: the second layout page of a product (``layout_page_index=2``): full
characteristics (``webCharacteristics``) and description (``webDescription``) -> ``ListingContent``."""

from __future__ import annotations

from datetime import datetime

from scrapy.http import Response

from marketplace_spiders.items import ListingContent
from marketplace_spiders.marketplaces.ozon.pages.common import (
    MARKETPLACE,
    clean_text,
    join_values,
    sku_from_url,
)
from marketplace_spiders.marketplaces.ozon.pages.states import load_states
from marketplace_spiders.pages.base import body_sha256
from marketplace_spiders.pages.description import description_hash
from marketplace_spiders.pages.errors import LayoutError, layout_guard
from marketplace_spiders.values import BRAND_KEYS, characteristic, country_of_origin, get, manufacturer


@layout_guard
class OzonProductDetailsPage:
    """Second layout page of a product (``layout_page_index=2``): full characteristics and description."""

    def __init__(self, response: Response):
        self.response = response
        self.states = load_states(response)
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
                for item in (get(group, "short") or []) + (get(group, "long") or []):
                    name = clean_text(get(item, "name")) or clean_text(get(item, "key"))
                    values = join_values(get(item, "values") or [])
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
        return country_of_origin(self.characteristics())

    def manufacturer(self) -> str | None:
        return manufacturer(self.characteristics())

    def brand(self) -> str | None:
        return characteristic(self.characteristics(), BRAND_KEYS)

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
