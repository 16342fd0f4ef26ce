"""Wildberries page objects: extraction from WB's JSON APIs. No I/O, no clock.

Endpoints and envelopes (see ``shared/real-samples/ENDPOINTS.md``):
- search ``search.wb.ru/exactmatch/ru/common/v{N}/search``: ``{metadata, products[], total}`` (current) or
  ``{state, params, data: {products[]}}`` (legacy);
- detail ``card.wb.ru/cards/v4/detail``: ``{products[]}`` (v4) or ``{state, params, data: {products[]}}``
  (v1/v2); how a product's values are read is in ``wildberries_product``;
- basket ``.../info/ru/card.json``: title, description, ``options[]`` characteristics, ``selling``;
- ``supplier-by-id/{id}.json`` (names, legal details) and ``suppliers-shipment-2 …/suppliers/{id}`` (rating).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from scrapy.http import Response

from marketplace_spiders.items import ListingContent, ListingObservation, SearchHit, SellerObservation
from marketplace_spiders.marketplaces.wildberries.pages.product import (
    MARKETPLACE,
    STOCK_REPORT_CAP,
    WbProduct,
    currency_of,
    is_legacy_envelope,
    kopecks_to_roubles,
    load_json,
    product_url,
    products_of,
)
from marketplace_spiders.pages.base import body_sha256
from marketplace_spiders.pages.description import description_hash
from marketplace_spiders.pages.errors import LayoutError, layout_guard
from marketplace_spiders.values import (
    LegalIds,
    country_of_origin,
    legal_ids_from_fields,
    manufacturer,
    parse_count,
    parse_rating,
    read_legal_ids,
)
from marketplace_spiders.values.fields import id_field, text_field

__all__ = [
    "MARKETPLACE", "STOCK_REPORT_CAP", "BasketRouter", "DetailAnswer", "WbBasketCardPage", "WbDetailPage",
    "WbProduct", "WbSearchPage", "WbSupplierPage", "WbSupplierProfilePage", "basket_card_url",
    "fallback_basket_host", "kopecks_to_roubles", "load_json", "product_url", "products_of",
]


@layout_guard
class WbSearchPage:
    """A search.wb.ru result page."""

    def __init__(self, response: Response):
        self.response = response
        self.data = load_json(response)
        self._products = products_of(self.data)

    def products(self) -> list[WbProduct]:
        legacy = is_legacy_envelope(self.data)
        return [WbProduct(p, legacy=legacy) for p in self._products]

    def currency(self) -> str:
        return currency_of(self.response, self.data)

    def observations(self, observed_at: datetime) -> list[ListingObservation]:
        """The search cards as listed observations (``source='search'``)."""
        sha, currency = body_sha256(self.response), self.currency()
        return [p.to_observation(observed_at, sha, source="search", currency=currency) for p in self.products()]

    def total(self) -> int | None:
        total = self.data.get("total")
        if total is None and isinstance(self.data.get("data"), dict):
            total = self.data["data"].get("total")
        if total is None:
            return None
        count = parse_count(total)
        if count is None:
            raise LayoutError(f"search 'total' is not a count: {total!r:.40}")
        return count

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


@dataclass
class DetailAnswer:
    """What one detail answer says about the ids it was asked for."""

    observations: list[ListingObservation]
    """'listed' rows of the products returned, plus 'not_found' rows when the answer can be trusted."""
    suspect_ids: list[int] = field(default_factory=list)
    """Requested ids left out of an answer that cannot be trusted: their state in this run is unknown."""
    reason: str | None = None
    """Why the answer is suspect (None when it is not)."""


@layout_guard
class WbDetailPage:
    """A card.wb.ru detail response for a batch of nm ids."""

    def __init__(self, response: Response):
        self.response = response
        self.data = load_json(response)
        self._products = products_of(self.data)

    def answer(self, requested_ids: list[int], observed_at: datetime,
               seen_listed: set[int] | frozenset[int] = frozenset()) -> DetailAnswer:
        """'listed' for every product returned; 'not_found' for requested ids WB left out, unless the answer
        is suspect: it omits every requested id (``{"products": []}`` for a whole batch is a soft block or
        an outage, not a mass delisting) or omits ids this same run saw listed (``seen_listed``, e.g. the
        search results). A suspect answer emits no 'not_found' row; its omitted ids are ``suspect_ids``."""
        sha = body_sha256(self.response)
        currency = currency_of(self.response, self.data)
        legacy = is_legacy_envelope(self.data)
        found: dict[int, WbProduct] = {}
        for data in self._products:
            found.setdefault(data["id"], WbProduct(data, legacy=legacy))
        rows = [p.to_observation(observed_at, sha, source="detail", currency=currency) for p in found.values()]
        missing = [nm_id for nm_id in dict.fromkeys(requested_ids) if nm_id not in found]
        reason = None
        if missing and len(missing) == len(set(requested_ids)):
            reason = f"detail answer omits every requested id ({len(missing)}): suspect, not a mass delisting"
        elif seen := [nm_id for nm_id in missing if nm_id in seen_listed]:
            reason = (f"detail answer omits {len(seen)} id(s) this run saw listed ({', '.join(map(str, seen[:5]))}"
                      f"{' …' if len(seen) > 5 else ''}): suspect, their state is unknown")
        if reason:
            return DetailAnswer(rows, suspect_ids=missing, reason=reason)
        rows += [
            ListingObservation(
                marketplace=MARKETPLACE, product_id=str(nm_id), url=product_url(nm_id),
                listing_status="not_found", in_stock=False, currency=currency, source="detail",
                observed_at=observed_at, response_sha256=sha,
            )
            for nm_id in missing
        ]
        return DetailAnswer(rows)

    def observations(self, requested_ids: list[int], observed_at: datetime) -> list[ListingObservation]:
        """The rows of a trustworthy answer; a suspect answer (see ``answer``) raises ``LayoutError``."""
        answer = self.answer(requested_ids, observed_at)
        if answer.reason:
            raise LayoutError(answer.reason)
        return answer.observations


@layout_guard
class WbBasketCardPage:
    """A basket ``info/ru/card.json`` document: static content of one product."""

    def __init__(self, response: Response):
        self.response = response
        self.data = load_json(response)
        if not isinstance(self.data, dict) or self.data.get("nm_id") is None:
            raise LayoutError("card.json without an integer nm_id")
        self.product_id = id_field(self.data["nm_id"], "nm_id")

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

    def country_of_origin(self) -> str | None:
        return country_of_origin(self.characteristics())

    def manufacturer(self) -> str | None:
        return manufacturer(self.characteristics())

    def category(self) -> str | None:
        return self.data.get("subj_name") or None

    def to_content(self, observed_at: datetime) -> ListingContent:
        selling = self.data.get("selling") or {}
        chars = self.characteristics()
        description = self.data.get("description")
        if not isinstance(selling, dict):
            raise LayoutError(f"card.json 'selling' is not an object: {selling!r:.60}")
        supplier = id_field(selling.get("supplier_id"), "selling.supplier_id")
        return ListingContent(
            marketplace=MARKETPLACE,
            product_id=self.product_id,
            title=self.data.get("imt_name"),
            description=description,
            characteristics=chars,
            country_of_origin=self.country_of_origin(),
            manufacturer=self.manufacturer(),
            brand=selling.get("brand_name") or None,
            category=self.category(),
            seller_id=supplier,
            description_hash=description_hash(description, chars),
            observed_at=observed_at,
            response_sha256=body_sha256(self.response),
        )


def _timestamp(value: Any, key: str) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (AttributeError, TypeError, ValueError) as exc:
        raise LayoutError(f"'{key}' is not an ISO time: {value!r:.40}") from exc


def _count(data: dict, key: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    count = parse_count(value)
    if count is None:
        raise LayoutError(f"'{key}' is not a count: {value!r:.40}")
    return count


@layout_guard
class WbSupplierPage:
    """``static-basket-01.wbbasket.ru/vol0/data/supplier-by-id/{id}.json``: names and legal details.

    ``inn`` and ``ogrn`` / ``ogrnip`` are checked by their control digits (``values.legal_ids_from_fields``);
    a number that fails goes to ``legal_id_rejects``, never to ``inn``/``ogrn``."""

    def __init__(self, response: Response):
        self.response = response
        self.data = load_json(response)
        if not isinstance(self.data, dict) or self.data.get("supplierId") is None:
            raise LayoutError("supplier document without supplierId")

    def legal_ids(self) -> LegalIds:
        d = self.data
        ogrn, ogrnip = d.get("ogrn"), d.get("ogrnip")
        if ogrn not in (None, "") and ogrnip not in (None, "") and str(ogrn).strip() != str(ogrnip).strip():
            # two different registration numbers: both are checked, and two valid ones store neither
            return read_legal_ids([f"ИНН {d.get('inn') or ''}", f"ОГРН {ogrn}", f"ОГРНИП {ogrnip}"])
        return legal_ids_from_fields(inn=d.get("inn"), ogrn=ogrn if ogrn not in (None, "") else ogrnip)

    def to_seller(self, observed_at: datetime) -> SellerObservation:
        d = self.data
        ids = self.legal_ids()
        return SellerObservation(
            marketplace=MARKETPLACE,
            seller_id=text_field(d["supplierId"], "supplierId"),
            name=text_field(d.get("supplierName"), "supplierName") or text_field(d.get("trademark"), "trademark"),
            legal_name=text_field(d.get("supplierFullName"), "supplierFullName"),
            inn=ids.inn,
            ogrn=ids.ogrn,
            legal_id_rejects=ids.rejected_text,
            seller_type=text_field(d.get("sellerType"), "sellerType"),
            legal_address=text_field(d.get("legalAddress"), "legalAddress"),
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
        """``valuation`` (sent as a string, "4.6"); ``rating`` when a profile has no valuation."""
        key = "valuation" if self.data.get("valuation") is not None else "rating"
        value = self.data.get(key)
        if value is None:
            return None
        rating = parse_rating(value)
        if rating is None:
            raise LayoutError(f"seller '{key}' is not a 0-5 rating: {value!r:.40}")
        return rating

    def fill(self, seller: SellerObservation) -> SellerObservation:
        """Add the profile's figures to a seller observation from the static document."""
        d = self.data
        if str(d["id"]) != seller.seller_id:
            raise LayoutError(f"profile of seller {d['id']} does not match {seller.seller_id}")
        seller.rating = self.rating()
        seller.review_count = _count(d, "feedbacksCount")
        seller.sale_count = _count(d, "saleItemQuantity")
        seller.registered_at = _timestamp(d.get("registrationDate"), "registrationDate")
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
