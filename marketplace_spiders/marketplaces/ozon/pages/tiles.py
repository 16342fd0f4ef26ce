"""``OzonTile``: one product tile of a search grid (``tileGridDesktop.items[]``).

Each value comes from the atom that carries it, found by its structural identity (atom type, automation id),
never from whatever text a tile shows: the stock hint is read only from the stock-bar atom
(``tile-blackFridayStockbar`` / ``tile-list-black-friday-stockbar``), so a seller's title such as «… 99 шт
осталось» changes nothing. A tile that can be ordered (an add-to-cart button) but shows no price, a price that
is not positive, or prices in two currencies are a ``LayoutError``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from marketplace_spiders.items import ListingObservation
from marketplace_spiders.marketplaces.ozon.pages.common import (
    MARKETPLACE,
    amount,
    clean_text,
    listed_price,
    product_url,
    same_currency,
)
from marketplace_spiders.pages.errors import LayoutError
from marketplace_spiders.values import Money, get, parse_count, parse_rating

_STOCK_HINT = re.compile(
    r"^\s*(?:(?P<before>\d[\d\s\u2009\u202f\xa0]*)\s*шт\.?\s+остал\w*|остал\w*\s+(?P<after>\d[\d\s\u2009\u202f\xa0]*)"
    r"\s*шт\.?)\s*$",
    re.IGNORECASE,
)
RATING_ATOM_IDS = ("tile-list-rating", "tile-list-comments")
BRAND_ATOM_ID = "tile-list-paid-brand"
TITLE_ATOM_ID = "tile-name"


def is_stock_atom(automation_id: str | None) -> bool:
    """The automation id of Ozon's stock bar ("N шт осталось"): ``tile-blackFridayStockbar`` (composer tiles),
    ``tile-list-black-friday-stockbar`` (SSR label lists) and their spellings."""
    if not isinstance(automation_id, str):
        return False
    return "stockbar" in re.sub(r"[-_\s]", "", automation_id).lower()


@dataclass
class OzonTile:
    """One product tile of a search grid."""

    sku: str
    url: str
    title: str | None
    price: Decimal | None
    price_before_discount: Decimal | None
    stock_left: int | None
    """Units left from the stock-bar atom ("N шт осталось"); None when the tile has no stock bar."""
    rating: float | None
    review_count: int | None
    brand: str | None
    currency: str = "RUB"
    """ISO 4217 code of both prices, as the tile states it (RUB when it states none)."""
    orderable: bool = False
    """The tile carries an add-to-cart button."""

    @classmethod
    def from_state(cls, item: dict[str, Any]) -> OzonTile:
        sku = item.get("sku", item.get("id"))
        if sku is None or isinstance(sku, bool) or not str(sku).isdigit():
            raise LayoutError(f"search tile without a numeric sku: {str(item)[:80]}")
        atoms = [atom for atom in item.get("mainState") or [] if isinstance(atom, dict)]
        prices = _tile_prices(atoms, str(sku))
        orderable = _orderable(item)
        if orderable and prices["price"] is None:
            raise LayoutError(f"search tile {sku} can be added to the cart but shows no price")
        rating, reviews = _tile_rating(atoms)
        link = get(item, "action", "link")
        return cls(
            sku=str(sku),
            url=product_url(str(sku), link if isinstance(link, str) else None),
            title=_tile_title(atoms),
            price=amount(prices["price"]),
            price_before_discount=amount(prices["price_before_discount"]),
            stock_left=_tile_stock(atoms),
            rating=rating,
            review_count=reviews,
            brand=_tile_brand(atoms),
            currency=same_currency(prices),
            orderable=orderable,
        )

    def to_observation(self, observed_at: datetime, response_sha256: str) -> ListingObservation:
        return ListingObservation(
            marketplace=MARKETPLACE,
            product_id=self.sku,
            url=self.url,
            title=self.title,
            brand=self.brand,
            price=self.price,
            price_before_discount=self.price_before_discount,
            currency=self.currency,
            in_stock=True if self.orderable and self.price is not None else None,
            stock_qty=self.stock_left,
            rating=self.rating,
            review_count=self.review_count,
            source="search",
            observed_at=observed_at,
            response_sha256=response_sha256,
        )


def _atom_body(atom: dict[str, Any]) -> dict[str, Any]:
    body = atom.get(str(atom.get("type")))
    return body if isinstance(body, dict) else {}


def _automation_id(body: Any) -> str | None:
    value = get(body, "testInfo", "automatizationId")
    return value if isinstance(value, str) else None


def _orderable(item: dict[str, Any]) -> bool:
    button = get(item, "multiButton", "ozonButton")
    return isinstance(button, dict) and (button.get("type") == "addToCart" or isinstance(button.get("addToCart"),
                                                                                         dict))


def _tile_prices(atoms: list[dict[str, Any]], sku: str) -> dict[str, Money | None]:
    for atom in atoms:
        body = _atom_body(atom)
        if atom.get("type") == "priceV2":
            by_style = {p.get("textStyle"): p.get("text") for p in body.get("price") or [] if isinstance(p, dict)}
            return {"price": listed_price(by_style.get("PRICE"), f"tile {sku} PRICE"),
                    "price_before_discount": listed_price(by_style.get("ORIGINAL_PRICE"),
                                                          f"tile {sku} ORIGINAL_PRICE")}
        if atom.get("type") == "price":  # pre-2024 tiles
            return {"price": listed_price(body.get("price"), f"tile {sku} price"),
                    "price_before_discount": listed_price(body.get("originalPrice"), f"tile {sku} originalPrice")}
    return {"price": None, "price_before_discount": None}


def _tile_title(atoms: list[dict[str, Any]]) -> str | None:
    for atom in atoms:
        body = _atom_body(atom)
        if _automation_id(body) == TITLE_ATOM_ID or atom.get("id") == "name":
            return clean_text(body.get("text"))
    return None


def _atom_texts(atom: dict[str, Any]) -> list[tuple[str | None, str]]:
    """(automation id, text) of a text atom or of each label of a label list."""
    body = _atom_body(atom)
    out: list[tuple[str | None, str]] = []
    if isinstance(body.get("text"), str):
        out.append((_automation_id(body), body["text"]))
    for label in body.get("items") or []:
        if not isinstance(label, dict):
            continue
        text = label.get("title") if isinstance(label.get("title"), str) else get(label, "text", "text")
        if isinstance(text, str):
            out.append((_automation_id(label) or _automation_id(body), text))
    return out


def _tile_stock(atoms: list[dict[str, Any]]) -> int | None:
    """Units left, read only from the stock-bar atom ("632 шт осталось", "осталось 5 шт"); a stock bar showing
    no count ("Заканчивается") leaves the stock unknown."""
    for atom in atoms:
        for aid, text in _atom_texts(atom):
            if not is_stock_atom(aid):
                continue
            match = _STOCK_HINT.match(clean_text(text) or "")
            return parse_count(match.group("before") or match.group("after")) if match else None
    return None


def _tile_rating(atoms: list[dict[str, Any]]) -> tuple[float | None, int | None]:
    rating = reviews = None
    for atom in atoms:
        texts = _atom_texts(atom)
        if not any(aid and aid.startswith(RATING_ATOM_IDS) for aid, _ in texts):
            continue
        for _, text in texts:
            if rating is None and parse_rating(text) is not None:
                rating = parse_rating(text)
            elif reviews is None and "отзыв" in text:
                reviews = parse_count(text)
    return rating, reviews


def _tile_brand(atoms: list[dict[str, Any]]) -> str | None:
    for atom in atoms:
        for aid, text in _atom_texts(atom):
            if aid == BRAND_ATOM_ID:
                return clean_text(text)
    return None
