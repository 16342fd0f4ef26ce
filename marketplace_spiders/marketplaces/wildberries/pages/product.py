"""One Wildberries product object of a search or detail answer, read strictly. No I/O, no clock.

Where each value comes from (one documented source each, ``shared/real-samples/ENDPOINTS.md``):

- ``price`` / ``price_before_discount``: ``sizes[].price.product`` / ``.basic`` (integer kopecks) of the size
  with the lowest ``product``. Only an answer in the legacy envelope (``{state, params, data: {products}}``,
  v1/v2 2023-2024) whose sizes carry no ``price`` block is read from the flat ``salePriceU`` / ``priceU``.
  A legacy key is never used in place of a current block that is missing, renamed or retyped.
- stock: ``totalQuantity``, else the sum of ``sizes[].stocks[].qty``.
- rating: ``reviewRating`` (legacy answers only have ``rating``); review count: ``feedbacks``.

Numbers sent as strings ("151", "5467600") are read; a key that is present with a value that cannot be read
raises ``LayoutError`` instead of becoming NULL. A listed product that can be ordered (in stock, or stock not
stated) must have a price: WB leaves the price out only of sizes that are out of stock ("Out of stock ⇒
stocks: [], no price in that size, totalQuantity: 0"), so a missing price on an orderable product is a
layout change, never a NULL price.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

from scrapy.http import Response

from marketplace_spiders.items import ListingObservation
from marketplace_spiders.pages.errors import LayoutError, layout_guard
from marketplace_spiders.values import currency_code, parse_count, parse_rating
from marketplace_spiders.values.fields import text_field

MARKETPLACE = "wildberries"
# Since Sept 2025 WB reports at most this many units per warehouse / in totalQuantity.
STOCK_REPORT_CAP = 100
_DIGITS = re.compile(r"\s*\d+\s*")
_MISSING = object()


def product_url(nm_id: int | str) -> str:
    return f"https://www.wildberries.ru/catalog/{nm_id}/detail.aspx"


def _whole_number(value: Any, what: str) -> int:
    """An integer JSON value, an integral float or a string of digits ("5467600"); anything else raises."""
    if isinstance(value, bool):
        raise LayoutError(f"{what} is a boolean: {value!r}")
    if isinstance(value, int):
        number: int | None = value
    elif isinstance(value, float):
        number = int(value) if value.is_integer() else None
    elif isinstance(value, str) and _DIGITS.fullmatch(value):
        number = parse_count(value)
    else:
        number = None
    if number is None or number < 0:
        raise LayoutError(f"{what} is not a whole non-negative number: {value!r:.60}")
    return number


def kopecks_to_roubles(value: Any, what: str = "price") -> Decimal | None:
    """WB prices are integer kopecks; 5562100 or "5562100" -> Decimal('55621.00'); None stays None."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise LayoutError(f"{what} is not a number: {value!r:.60}")
    try:
        kopecks = _whole_number(value, what)
    except LayoutError as exc:
        raise LayoutError(f"{what} is not a number of kopecks: {value!r:.60}") from exc
    return (Decimal(kopecks) / 100).quantize(Decimal("0.01"))


def load_json(response: Response) -> Any:
    try:
        return json.loads(response.body)
    except (ValueError, UnicodeDecodeError) as exc:
        head = response.body[:60]
        raise LayoutError(f"not JSON ({exc.__class__.__name__}); body starts {head!r}") from exc


def is_legacy_envelope(data: Any) -> bool:
    """True for the 2023-2024 ``{state, params, data: {products}}`` envelope."""
    return isinstance(data, dict) and not isinstance(data.get("products"), list) and isinstance(
        data.get("data"), dict)


def products_of(data: Any) -> list[dict]:
    """The product list of a search or detail response, current or legacy envelope."""
    if not isinstance(data, dict):
        raise LayoutError(f"expected a JSON object, got {type(data).__name__}")
    if isinstance(data.get("products"), list):
        products = data["products"]
    elif isinstance(data.get("data"), dict) and isinstance(data["data"].get("products"), list):
        products = data["data"]["products"]
    elif "products" in data and data["products"] is None:
        products = []
    else:
        raise LayoutError(f"no 'products' or 'data.products' list; keys: {sorted(data)[:10]}")
    bad = [p for p in products if not isinstance(p, dict) or not isinstance(p.get("id"), int)
           or isinstance(p.get("id"), bool)]
    if bad:
        raise LayoutError(f"{len(bad)} product(s) without an integer 'id'")
    return products


def currency_of(response: Response, data: Any = None) -> str:
    """The currency WB answered in: the request's ``curr`` parameter (the legacy envelope repeats it in
    ``params.curr``); RUB when the URL names none. An unknown or contradicting currency raises."""
    stated = parse_qs(urlsplit(response.url).query).get("curr", [None])[0]
    echoed = data.get("params", {}).get("curr") if isinstance(data, dict) and isinstance(
        data.get("params"), dict) else None
    codes = set()
    for value in (stated, echoed):
        if value in (None, ""):
            continue
        code = currency_code(value) if isinstance(value, str) else None
        if code is None:
            raise LayoutError(f"unknown currency {value!r:.40}")
        codes.add(code)
    if len(codes) > 1:
        raise LayoutError(f"request asked for {stated!r} but the answer says {echoed!r}")
    return codes.pop() if codes else "RUB"


@layout_guard
class WbProduct:
    """One product object of a search or detail response (``legacy``: it came in the legacy envelope)."""

    def __init__(self, data: dict, legacy: bool = False):
        self.data = data
        self.legacy = legacy

    @property
    def nm_id(self) -> int:
        return self.data["id"]

    def _sizes(self) -> list[dict]:
        sizes = self.data.get("sizes")
        if sizes is None:
            return []
        if not isinstance(sizes, list) or not all(isinstance(s, dict) for s in sizes):
            raise LayoutError(f"product {self.nm_id}: 'sizes' is not a list of objects")
        return sizes

    def _size_price(self) -> tuple[Decimal, Decimal] | None:
        """(price, before discount) of the cheapest size with a ``price`` block; None when no size has one."""
        offers = []
        for index, size in enumerate(self._sizes()):
            if "price" not in size:
                continue
            block = size["price"]
            where = f"product {self.nm_id} sizes[{index}].price"
            if not isinstance(block, dict):
                raise LayoutError(f"{where} is not an object: {block!r:.60}")
            for key in ("product", "basic"):
                if block.get(key) is None:
                    raise LayoutError(f"{where} has no '{key}' (keys: {sorted(block)[:8]})")
            offers.append((kopecks_to_roubles(block["product"], f"{where}.product"),
                           kopecks_to_roubles(block["basic"], f"{where}.basic")))
        return min(offers, key=lambda offer: offer[0]) if offers else None

    def _legacy_price(self) -> tuple[Decimal | None, Decimal | None] | None:
        if not self.legacy or not any(key in self.data for key in ("salePriceU", "priceU")):
            return None
        for key in ("salePriceU", "priceU"):
            if self.data.get(key) is None:
                raise LayoutError(f"product {self.nm_id}: legacy price without '{key}'")
        return (kopecks_to_roubles(self.data["salePriceU"], "salePriceU"),
                kopecks_to_roubles(self.data["priceU"], "priceU"))

    def prices(self) -> tuple[Decimal | None, Decimal | None]:
        """(price, price_before_discount) from the one source of this envelope (module docstring)."""
        found = self._size_price()
        if found is None:
            found = self._legacy_price()
        if found is None:
            return None, None
        price, before = found
        if price is not None and price <= 0:
            raise LayoutError(f"product {self.nm_id}: price {price} is not positive")
        if before is not None and before <= 0:
            raise LayoutError(f"product {self.nm_id}: price before discount {before} is not positive")
        return price, before

    def price(self) -> Decimal | None:
        return self.prices()[0]

    def price_before_discount(self) -> Decimal | None:
        return self.prices()[1]

    def warehouse_quantities(self) -> list[int]:
        qtys = []
        for index, size in enumerate(self._sizes()):
            stocks = size.get("stocks")
            if stocks is None:
                continue
            if not isinstance(stocks, list) or not all(isinstance(s, dict) for s in stocks):
                raise LayoutError(f"product {self.nm_id} sizes[{index}].stocks is not a list of objects")
            for stock in stocks:
                if stock.get("qty") is None:
                    raise LayoutError(f"product {self.nm_id} sizes[{index}].stocks[] without 'qty'")
                qtys.append(_whole_number(stock["qty"], f"product {self.nm_id} stocks qty"))
        return qtys

    def stock_qty(self) -> int | None:
        total = self.data.get("totalQuantity")
        if total is not None:
            return _whole_number(total, f"product {self.nm_id} totalQuantity")
        qtys = self.warehouse_quantities()
        if qtys or any(s.get("stocks") is not None for s in self._sizes()):
            return sum(qtys)
        return None

    def stock_capped(self) -> bool | None:
        qty = self.stock_qty()
        if qty is None:
            return None
        qtys = self.warehouse_quantities()
        return any(q >= STOCK_REPORT_CAP for q in qtys) or (not qtys and qty >= STOCK_REPORT_CAP)

    def in_stock(self) -> bool | None:
        qty = self.stock_qty()
        return qty > 0 if qty is not None else None

    def rating(self) -> float | None:
        key = "reviewRating" if "reviewRating" in self.data else "rating"
        value = self.data.get(key)
        if value is None:
            return None
        rating = parse_rating(value)
        if rating is None:
            raise LayoutError(f"product {self.nm_id}: '{key}' is not a 0-5 rating: {value!r:.40}")
        return rating

    def review_count(self) -> int | None:
        value = self.data.get("feedbacks")
        if value is None:
            return None
        count = parse_count(value)
        if count is None:
            raise LayoutError(f"product {self.nm_id}: 'feedbacks' is not a count: {value!r:.40}")
        return count

    def seller_id(self) -> str | None:
        return text_field(self.data.get("supplierId"), "supplierId")

    def to_observation(self, observed_at: datetime, response_sha256: str, source: str,
                       currency: str = "RUB") -> ListingObservation:
        name = text_field(self.data.get("name"), "name")
        if not name:
            raise LayoutError(f"product {self.nm_id} has no name")
        price, before = self.prices()
        in_stock = self.in_stock()
        if price is None and in_stock is not False:
            stock = "in stock" if in_stock else "stock not stated"
            raise LayoutError(
                f"product {self.nm_id} is listed and {stock} but has no price: no sizes[].price block"
                + (" (legacy priceU/salePriceU are not read from the current envelope)"
                   if not self.legacy and ("priceU" in self.data or "salePriceU" in self.data) else ""))
        return ListingObservation(
            marketplace=MARKETPLACE,
            product_id=str(self.nm_id),
            url=product_url(self.nm_id),
            listing_status="listed",
            title=name,
            brand=text_field(self.data.get("brand"), "brand"),
            seller_id=self.seller_id(),
            seller_name=text_field(self.data.get("supplier"), "supplier"),
            price=price,
            price_before_discount=before,
            currency=currency,
            in_stock=in_stock,
            stock_qty=self.stock_qty(),
            stock_capped=self.stock_capped(),
            rating=self.rating(),
            review_count=self.review_count(),
            source=source,
            observed_at=observed_at,
            response_sha256=response_sha256,
        )
