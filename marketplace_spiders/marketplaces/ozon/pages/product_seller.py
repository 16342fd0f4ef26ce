"""The seller block of an Ozon product page (``webCurrentSeller``, or ``webOutOfStock`` for a sold-out product).

A seller block that is present but unreadable is a ``LayoutError``: when Ozon moves the link key, the seller
id must not be lost silently (no seller row, no «О магазине» modal asked for). Registration numbers of the
«О магазине» trust-factor tooltip go through the shared reader (``values.read_legal_ids``): read whole,
checked by their control digits; a number that fails is kept apart (``seller_legal_id_rejects``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from marketplace_spiders.marketplaces.ozon.pages.common import LEGAL_FORM, clean_text, seller_id_from_link
from marketplace_spiders.marketplaces.ozon.pages.states import OzonWidgetStates
from marketplace_spiders.pages.errors import LayoutError, layout_guard
from marketplace_spiders.values import LegalIds, get, parse_rating, read_legal_ids

ABOUT_SELLER_TOOLTIP = "about-seller-tooltip"


def _seller_id_params(data: Any) -> Iterator[str]:
    """Every ``params.sellerId`` in a widget (the subscribe button's action carries the seller's id)."""
    if isinstance(data, dict):
        params = data.get("params")
        if isinstance(params, dict) and isinstance(params.get("sellerId"), str | int):
            yield str(params["sellerId"])
        for value in data.values():
            yield from _seller_id_params(value)
    elif isinstance(data, list):
        for value in data:
            yield from _seller_id_params(value)


@layout_guard
class OzonProductSeller:
    """Seller accessors of ``OzonProductPage`` (a mixin: it needs ``self.states``)."""

    states: OzonWidgetStates

    def _seller_state(self) -> dict[str, Any]:
        return self.states.first("webCurrentSeller") or {}

    def _out_of_stock(self) -> dict[str, Any]:
        return self.states.first("webOutOfStock") or {}

    def has_seller_block(self) -> bool:
        """The page shows a seller: a non-empty ``webCurrentSeller``, or a sold-out product naming its seller."""
        oos = self._out_of_stock()
        return bool(self._seller_state()) or bool(oos.get("sellerName") or oos.get("sellerLink"))

    def seller_name(self) -> str | None:
        state = self._seller_state()
        for value in (get(state, "sellerCell", "centerBlock", "title", "text"), get(state, "seller", "name"),
                      get(self._out_of_stock(), "sellerName")):
            text = clean_text(value)
            if text:
                return text
        return None

    def seller_link(self) -> str | None:
        state = self._seller_state()
        for value in (get(state, "sellerCell", "common", "action", "link"), get(state, "seller", "link"),
                      get(self._out_of_stock(), "sellerLink")):
            if isinstance(value, str) and "/seller/" in value:
                return value
        return None

    def seller_id(self) -> str | None:
        """The seller's id: the number of the seller link (``/seller/<slug>-<id>/``), the slug of a link without
        one (``/seller/ozon/``), else the ``sellerId`` of the block's actions. None only when the page shows no
        seller block; a block without any of them, or whose ids disagree, raises ``LayoutError``."""
        state = self._seller_state()
        legacy = get(state, "seller", "id")
        if legacy is not None and str(legacy).isdigit():
            return str(legacy)
        from_link = seller_id_from_link(self.seller_link())
        params = {value for value in _seller_id_params(state) if value.isdigit() and value != "0"}
        if from_link is not None and from_link.isdigit() and params and params != {from_link}:
            raise LayoutError(f"seller link id {from_link} and block seller ids {sorted(params)} disagree")
        if from_link is not None:
            return from_link
        if len(params) == 1:
            return params.pop()
        if self.has_seller_block():
            reason = f"seller ids {sorted(params)} disagree" if params else "no seller link or seller id"
            raise LayoutError(f"seller block present but unreadable: {reason}; "
                              f"webCurrentSeller keys {sorted(state)[:12]}")
        return None

    def seller_rating(self) -> float | None:
        return parse_rating(get(self._seller_state(), "rating", "title", "text"))

    def seller_legal_lines(self) -> list[str]:
        """Text lines of the «О магазине» trust-factor tooltip (legal name, ОГРН, working hours), known by its
        ``qaId``; only when no factor carries that id, the tooltips of every trust factor."""
        factors = [f for f in self._seller_state().get("trustFactors") or [] if isinstance(f, dict)]
        about = [f for f in factors if get(f, "tooltip", "qaId") == ABOUT_SELLER_TOOLTIP]
        lines = []
        for factor in about or factors:
            for part in get(factor, "tooltip", "subtitle") or []:
                text = clean_text(get(part, "content"))
                if text:
                    lines.append(text)
        return lines

    def seller_legal_ids(self) -> LegalIds:
        return read_legal_ids(self.seller_legal_lines())

    def seller_legal_name(self) -> str | None:
        return next((line for line in self.seller_legal_lines() if LEGAL_FORM.match(line)), None)

    def seller_ogrn(self) -> str | None:
        return self.seller_legal_ids().ogrn

    def seller_inn(self) -> str | None:
        return self.seller_legal_ids().inn

    def seller_legal_id_rejects(self) -> str | None:
        return self.seller_legal_ids().rejected_text
