"""Wildberries page objects: extraction from WB's JSON APIs. No I/O, no clock.

Endpoints and envelopes (see ``shared/real-samples/ENDPOINTS.md``):
- search ``search.wb.ru/exactmatch/ru/common/v{N}/search``: ``{metadata, products[], total}`` (current) or
  ``{state, params, data: {products[]}}`` (legacy);
- detail ``card.wb.ru/cards/v4/detail``: ``{products[]}`` (v4) or ``{state, params, data: {products[]}}``
  (v1/v2); prices in ``sizes[].price.{basic, product}`` (kopecks) or legacy ``priceU``/``salePriceU``;
- basket ``.../info/ru/card.json``: title, description, ``options[]`` characteristics, ``selling``;
- ``supplier-by-id/{id}.json`` (names, legal details) and ``suppliers-shipment-2 …/suppliers/{id}`` (rating).
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from scrapy.http import Response

from marketplace_spiders.items import ListingContent, ListingObservation, SearchHit, SellerObservation
from marketplace_spiders.pages.base import body_sha256
from marketplace_spiders.pages.description import description_hash
from marketplace_spiders.pages.errors import LayoutError, layout_guard

MARKETPLACE = "wildberries"
# Since Sept 2025 WB reports at most this many units per warehouse / in totalQuantity.
STOCK_REPORT_CAP = 100
COUNTRY_KEYS = ("Страна производства", "Страна-изготовитель", "Страна изготовления", "Страна происхождения")
MANUFACTURER_KEYS = ("Производитель", "Изготовитель", "Фабрика-производитель")


def product_url(nm_id: int | str) -> str:
    return f"https://www.wildberries.ru/catalog/{nm_id}/detail.aspx"


def kopecks_to_roubles(value: Any) -> Decimal | None:
    """WB prices are integer kopecks; 5562100 -> Decimal('55621.00')."""
    if value is None or isinstance(value, bool):
        return None
    if not isinstance(value, int | float):
        raise LayoutError(f"price is not a number: {value!r}")
    return (Decimal(int(value)) / 100).quantize(Decimal("0.01"))


def load_json(response: Response) -> Any:
    try:
        return json.loads(response.body)
    except (ValueError, UnicodeDecodeError) as exc:
        head = response.body[:60]
        raise LayoutError(f"not JSON ({exc.__class__.__name__}); body starts {head!r}") from exc


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
    bad = [p for p in products if not isinstance(p, dict) or not isinstance(p.get("id"), int)]
    if bad:
        raise LayoutError(f"{len(bad)} product(s) without an integer 'id'")
    return products


@layout_guard
class WbProduct:
    """One product object of a search or detail response (either envelope)."""

    def __init__(self, data: dict):
        self.data = data

    @property
    def nm_id(self) -> int:
        return self.data["id"]

    def _sized_prices(self) -> list[dict]:
        sizes = self.data.get("sizes") or []
        return [s["price"] for s in sizes if isinstance(s, dict) and isinstance(s.get("price"), dict)]

    def price(self) -> Decimal | None:
        """Price shown (the cheapest size); legacy ``salePriceU``."""
        prices = [p for p in self._sized_prices() if p.get("product") is not None]
        if prices:
            return kopecks_to_roubles(min(prices, key=lambda p: p["product"])["product"])
        return kopecks_to_roubles(self.data.get("salePriceU"))

    def price_before_discount(self) -> Decimal | None:
        """Crossed-out price of the same size as ``price``; legacy ``priceU``."""
        prices = [p for p in self._sized_prices() if p.get("product") is not None]
        if prices:
            return kopecks_to_roubles(min(prices, key=lambda p: p["product"]).get("basic"))
        return kopecks_to_roubles(self.data.get("priceU"))

    def warehouse_quantities(self) -> list[int]:
        qtys = []
        for size in self.data.get("sizes") or []:
            for stock in (size or {}).get("stocks") or []:
                qty = stock.get("qty") if isinstance(stock, dict) else None
                if isinstance(qty, int):
                    qtys.append(qty)
        return qtys

    def stock_qty(self) -> int | None:
        total = self.data.get("totalQuantity")
        if isinstance(total, int):
            return total
        qtys = self.warehouse_quantities()
        if qtys or any("stocks" in (s or {}) for s in self.data.get("sizes") or []):
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
        if qty is not None:
            return qty > 0
        return None

    def rating(self) -> float | None:
        value = self.data.get("reviewRating", self.data.get("rating"))
        return float(value) if isinstance(value, int | float) else None

    def review_count(self) -> int | None:
        value = self.data.get("feedbacks")
        return value if isinstance(value, int) else None

    def seller_id(self) -> str | None:
        value = self.data.get("supplierId")
        return str(value) if value is not None else None

    def to_observation(self, observed_at: datetime, response_sha256: str, source: str) -> ListingObservation:
        name = self.data.get("name")
        if not name:
            raise LayoutError(f"product {self.nm_id} has no name")
        return ListingObservation(
            marketplace=MARKETPLACE,
            product_id=str(self.nm_id),
            url=product_url(self.nm_id),
            listing_status="listed",
            title=name,
            brand=self.data.get("brand") or None,
            seller_id=self.seller_id(),
            seller_name=self.data.get("supplier") or None,
            price=self.price(),
            price_before_discount=self.price_before_discount(),
            currency="RUB",
            in_stock=self.in_stock(),
            stock_qty=self.stock_qty(),
            stock_capped=self.stock_capped(),
            rating=self.rating(),
            review_count=self.review_count(),
            source=source,
            observed_at=observed_at,
            response_sha256=response_sha256,
        )


@layout_guard
class WbSearchPage:
    """A search.wb.ru result page."""

    def __init__(self, response: Response):
        self.response = response
        self.data = load_json(response)
        self._products = products_of(self.data)

    def products(self) -> list[WbProduct]:
        return [WbProduct(p) for p in self._products]

    def total(self) -> int | None:
        total = self.data.get("total")
        if total is None and isinstance(self.data.get("data"), dict):
            total = self.data["data"].get("total")
        return total if isinstance(total, int) else None

    def search_hits(
        self, term: str, page: int, page_size: int, observed_at: datetime
    ) -> list[SearchHit]:
        sha = body_sha256(self.response)
        return [
            SearchHit(
                marketplace=MARKETPLACE,
                term=term,
                page=page,
                position=(page - 1) * page_size + index + 1,
                product_id=str(product.nm_id),
                product_name=product.data.get("name"),
                observed_at=observed_at,
                response_sha256=sha,
            )
            for index, product in enumerate(self.products())
        ]


@layout_guard
class WbDetailPage:
    """A card.wb.ru detail response for a batch of nm ids."""

    def __init__(self, response: Response):
        self.response = response
        self.data = load_json(response)
        self._products = products_of(self.data)

    def observations(self, requested_ids: list[int], observed_at: datetime) -> list[ListingObservation]:
        """One observation per requested id: 'listed' when returned, 'not_found' when WB left it out."""
        sha = body_sha256(self.response)
        found = {}
        for data in self._products:
            found.setdefault(data["id"], WbProduct(data))
        rows = [p.to_observation(observed_at, sha, source="detail") for p in found.values()]
        for nm_id in requested_ids:
            if nm_id not in found:
                rows.append(
                    ListingObservation(
                        marketplace=MARKETPLACE,
                        product_id=str(nm_id),
                        url=product_url(nm_id),
                        listing_status="not_found",
                        in_stock=False,
                        source="detail",
                        observed_at=observed_at,
                        response_sha256=sha,
                    )
                )
        return rows


@layout_guard
class WbBasketCardPage:
    """A basket ``info/ru/card.json`` document: static content of one product."""

    def __init__(self, response: Response):
        self.response = response
        self.data = load_json(response)
        if not isinstance(self.data, dict) or not isinstance(self.data.get("nm_id"), int):
            raise LayoutError("card.json without an integer nm_id")

    def characteristics(self) -> dict[str, str]:
        chars: dict[str, str] = {}
        for option in self.data.get("options") or []:
            if isinstance(option, dict) and option.get("name") and option.get("value") is not None:
                chars.setdefault(str(option["name"]), str(option["value"]))
        for group in self.data.get("grouped_options") or []:
            for option in (group or {}).get("options") or []:
                if isinstance(option, dict) and option.get("name") and option.get("value") is not None:
                    chars.setdefault(str(option["name"]), str(option["value"]))
        return chars

    def _first(self, keys: tuple[str, ...]) -> str | None:
        chars = self.characteristics()
        lowered = {k.lower(): v for k, v in chars.items()}
        for key in keys:
            if key.lower() in lowered:
                return lowered[key.lower()]
        return None

    def country_of_origin(self) -> str | None:
        return self._first(COUNTRY_KEYS)

    def manufacturer(self) -> str | None:
        return self._first(MANUFACTURER_KEYS)

    def category(self) -> str | None:
        return self.data.get("subj_name") or None

    def to_content(self, observed_at: datetime) -> ListingContent:
        selling = self.data.get("selling") or {}
        chars = self.characteristics()
        description = self.data.get("description")
        supplier = selling.get("supplier_id")
        return ListingContent(
            marketplace=MARKETPLACE,
            product_id=str(self.data["nm_id"]),
            title=self.data.get("imt_name"),
            description=description,
            characteristics=chars,
            country_of_origin=self.country_of_origin(),
            manufacturer=self.manufacturer(),
            brand=selling.get("brand_name") or None,
            category=self.category(),
            seller_id=str(supplier) if supplier is not None else None,
            description_hash=description_hash(description, chars),
            observed_at=observed_at,
            response_sha256=body_sha256(self.response),
        )


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


@layout_guard
class WbSupplierPage:
    """``static-basket-01.wbbasket.ru/vol0/data/supplier-by-id/{id}.json``: names and legal details."""

    def __init__(self, response: Response):
        self.response = response
        self.data = load_json(response)
        if not isinstance(self.data, dict) or self.data.get("supplierId") is None:
            raise LayoutError("supplier document without supplierId")

    def to_seller(self, observed_at: datetime) -> SellerObservation:
        d = self.data
        return SellerObservation(
            marketplace=MARKETPLACE,
            seller_id=str(d["supplierId"]),
            name=_text(d.get("supplierName")) or _text(d.get("trademark")),
            legal_name=_text(d.get("supplierFullName")),
            inn=_text(d.get("inn")),
            ogrn=_text(d.get("ogrn")) or _text(d.get("ogrnip")),
            seller_type=_text(d.get("sellerType")),
            legal_address=_text(d.get("legalAddress")),
            observed_at=observed_at,
            response_sha256=body_sha256(self.response),
        )


@layout_guard
class WbSupplierProfilePage:
    """``suppliers-shipment-2.wildberries.ru/api/v1/suppliers/{id}``: rating, registration, sales."""

    def __init__(self, response: Response):
        self.response = response
        self.data = load_json(response)
        if not isinstance(self.data, dict) or self.data.get("id") is None:
            raise LayoutError("supplier profile without id")

    def rating(self) -> float | None:
        value = self.data.get("valuation", self.data.get("rating"))
        try:
            return float(value) if value is not None else None
        except (TypeError, ValueError):
            return None

    def fill(self, seller: SellerObservation) -> SellerObservation:
        """Add the profile's figures to a seller observation from the static document."""
        d = self.data
        if str(d["id"]) != seller.seller_id:
            raise LayoutError(f"profile of seller {d['id']} does not match {seller.seller_id}")
        seller.rating = self.rating()
        seller.review_count = d.get("feedbacksCount") if isinstance(d.get("feedbacksCount"), int) else None
        seller.sale_count = d.get("saleItemQuantity") if isinstance(d.get("saleItemQuantity"), int) else None
        seller.registered_at = _timestamp(d.get("registrationDate"))
        return seller


# Basket hosts by vol upper bound, from upstreams (mid-2026); used when the live table is unavailable.
FALLBACK_BASKET_RANGES: tuple[tuple[int, int], ...] = (
    (143, 1), (287, 2), (431, 3), (719, 4), (1007, 5), (1061, 6), (1115, 7), (1169, 8), (1313, 9),
    (1601, 10), (1655, 11), (1919, 12), (2045, 13), (2189, 14), (2405, 15), (2621, 16), (2837, 17),
    (3053, 18), (3269, 19), (3485, 20), (3701, 21), (3917, 22), (4133, 23), (4349, 24), (4565, 25),
    (4877, 26), (5189, 27), (5501, 28), (5813, 29), (6125, 30), (6437, 31), (6749, 32), (7061, 33),
    (7373, 34), (7685, 35), (7997, 36), (8309, 37), (8741, 38), (9173, 39), (9605, 40),
)
FALLBACK_STEP_FROM = (9605, 40)
FALLBACK_STEP = 768


@layout_guard
class BasketRouter:
    """vol -> basket host, from the upstreams routing table, with a fallback for stale tables."""

    def __init__(self, ranges: list[tuple[int, int, str]] | None = None):
        self.ranges = sorted(ranges or [])

    @classmethod
    def from_upstreams(cls, response: Response) -> BasketRouter:
        data = load_json(response)
        try:
            route_map = data["origin"]["mediabasket_route_map"]
            hosts = next(m["hosts"] for m in route_map if m.get("method") == "range")
            ranges = [(int(h["vol_range_from"]), int(h["vol_range_to"]), str(h["host"])) for h in hosts]
        except (KeyError, TypeError, StopIteration, ValueError) as exc:
            raise LayoutError(f"upstreams without origin.mediabasket_route_map range hosts: {exc}") from exc
        if not ranges:
            raise LayoutError("upstreams range table is empty")
        return cls(ranges)

    def host_for(self, nm_id: int) -> str:
        vol = nm_id // 100000
        for low, high, host in self.ranges:
            if low <= vol <= high:
                return host
        return fallback_basket_host(vol)


def fallback_basket_host(vol: int) -> str:
    """Host by the known table; past its end, extrapolate in the table's steps of 768 vols."""
    for high, number in FALLBACK_BASKET_RANGES:
        if vol <= high:
            return f"basket-{number:02d}.wbbasket.ru"
    last_high, last_number = FALLBACK_STEP_FROM
    number = last_number + (vol - last_high + FALLBACK_STEP - 1) // FALLBACK_STEP
    return f"basket-{number:02d}.wbbasket.ru"


def basket_card_url(host: str, nm_id: int) -> str:
    return f"https://{host}/vol{nm_id // 100000}/part{nm_id // 1000}/{nm_id}/info/ru/card.json"
