"""Yandex Market product-page prices: one documented source per money column, fallbacks only to sources the
real samples show to mean the same thing, otherwise a ``LayoutError``. No I/O, no clock.

``price`` (what a buyer pays without a Yandex Pay card), by source, first present wins:

1. the ``price`` collection of the product: ``oldPrices[type=regular]``; when there is no ``regular`` and
   ``mainPrice`` has subtype ``ya-card`` (the card price), ``oldPrices[type=withoutDiscount]`` (2025 lamp page:
   989 = ``ecommerce.price``); a ``mainPrice`` without a subtype and not of type ``extraDiscount`` is the
   price itself. A ``price`` collection that shows only the card price, or a ``mainPrice`` of an unknown
   kind, is an error, never a price.
2. no ``price`` collection: the product snippet (``productServiceSnippets…productPayload.price``):
   ``oldPrice`` when ``actualPrice`` is the card price (suffix ``YA_PAY``); equal to ``oldPrices[regular]`` on
   card_washer and card_no_rating.
3. neither: ``ecommerce.price`` (equal to the regular price on the 2025 lamp page).

JSON-LD ``offers.price`` is never a price source: on every real sample it is the Ya Pay card price (979 /
180 / 18796 / 50001), so using it would store a −28 % "price change". ``price_before_discount`` is
``withoutDiscount`` (or the snippet's ``initialPrice``) when it is above the price. Every amount keeps the
currency stated beside it; amounts of one page in different currencies are an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from marketplace_spiders.marketplaces.yandex_market.pages.state import amount_value, money, price_value
from marketplace_spiders.pages.errors import LayoutError
from marketplace_spiders.values import Money, get

CARD_SUBTYPE = "ya-card"
CARD_SUFFIX = "YA_PAY"


@dataclass(frozen=True)
class YmPrices:
    price: Money | None
    """Price without the card."""
    before: Money | None
    """Crossed-out price, only when above ``price``."""
    card: Money | None
    """Price with the Yandex Pay card."""
    source: str
    """Where the price was read (named in errors and notes)."""
    other: tuple[Money, ...] = ()
    """Other amounts the same source shows (e.g. the price collection's ``snippetPrice``): their currency counts."""

    def amounts(self) -> tuple[Money, ...]:
        return tuple(m for m in (self.price, self.before, self.card, *self.other) if m is not None)


def _above(before: Money | None, price: Money | None) -> Money | None:
    if before is None or price is None or before.amount <= price.amount:
        return None
    return before


def from_price_collection(entity: dict[str, Any]) -> YmPrices:
    main = entity.get("mainPrice")
    old = entity.get("oldPrices")
    if main is None and old is None:
        raise LayoutError("price collection without mainPrice and oldPrices")
    if old is not None and not isinstance(old, list) or main is not None and not isinstance(main, dict):
        raise LayoutError("price collection: mainPrice/oldPrices of an unknown shape")
    by_type: dict[str, Money] = {}
    for item in old or []:
        kind, value = get(item, "type"), price_value(get(item, "price"))
        if not isinstance(kind, str) or value is None:
            raise LayoutError(f"price collection: an oldPrices entry without type or price: {item!r:.120}")
        by_type.setdefault(kind, value)
    main_price = price_value(get(main, "price"))
    subtype, main_type = get(main, "subtype"), get(main, "type")
    card = main_price if subtype == CARD_SUBTYPE else None
    if "regular" in by_type:
        price = by_type["regular"]
    elif subtype == CARD_SUBTYPE:
        price = by_type.get("withoutDiscount")
        if price is None:
            raise LayoutError("price collection shows only the Ya Pay card price (mainPrice subtype ya-card), "
                              "no regular or withoutDiscount price")
    elif main_price is not None and subtype is None and main_type != "extraDiscount":
        price = main_price
    else:
        raise LayoutError(f"price collection: mainPrice of type {main_type!r}, subtype {subtype!r} and oldPrices "
                          f"{sorted(by_type)} give no known regular price")
    snippet = entity.get("snippetPrice")
    other = tuple(m for key in ("actualPrice", "oldPrice", "initialPrice")
                  if (m := amount_value(get(snippet, key))) is not None)
    return YmPrices(price=price, before=_above(by_type.get("withoutDiscount"), price), card=card,
                    source="price collection", other=other)


def from_snippet(node: dict[str, Any]) -> YmPrices:
    actual = node.get("actualPrice")
    suffix = get(actual, "suffix")
    if suffix != CARD_SUFFIX:
        raise LayoutError(f"product snippet price: actualPrice with suffix {suffix!r} is not a price the real "
                          "samples show (only the Ya Pay card price, suffix YA_PAY)")
    price = amount_value(node.get("oldPrice"))
    if price is None:
        raise LayoutError("product snippet shows only the Ya Pay card price (actualPrice YA_PAY), no oldPrice")
    return YmPrices(price=price, before=_above(amount_value(node.get("initialPrice")), price),
                    card=amount_value(actual), source="product snippet")


def from_ecommerce(entity: dict[str, Any]) -> YmPrices | None:
    price = money(entity.get("price"), entity.get("currency"))
    return YmPrices(price=price, before=None, card=None, source="ecommerce") if price is not None else None


def read_product_prices(price_entity: dict[str, Any] | None, snippet_price: Any,
                        ecommerce: dict[str, Any] | None) -> YmPrices | None:
    """The page's prices by the rules of the module docstring; None when the page shows no price at all."""
    if price_entity:
        return from_price_collection(price_entity)
    if isinstance(snippet_price, dict) and snippet_price:
        return from_snippet(snippet_price)
    if ecommerce:
        return from_ecommerce(ecommerce)
    return None
