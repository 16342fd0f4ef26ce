"""``OzonSellerLegalPage``: the seller's «О магазине» modal (entrypoint-api ``/modal/shop-in-shop-info``),
asked for when a product page shows a marketplace seller without the trust-factor tooltip.

``textBlock`` widgets hold ``body[]`` of ``textAtom.text`` lines (legal name, ОГРН/ОГРНИП, ИНН, address,
working hours). Identifiers are read by the shared reader (``values.read_legal_ids``), the same one the
product page uses: read whole, checked by their control digits, failures kept in ``legal_id_rejects``.
"""

from __future__ import annotations

import re
from datetime import datetime

from scrapy.http import Response

from marketplace_spiders.items import SellerObservation
from marketplace_spiders.marketplaces.ozon.pages.common import LEGAL_FORM, MARKETPLACE, clean_text
from marketplace_spiders.marketplaces.ozon.pages.states import load_states
from marketplace_spiders.pages.base import body_sha256
from marketplace_spiders.pages.errors import LayoutError, layout_guard
from marketplace_spiders.values import LegalIds, get, read_legal_ids

SELLER_LEGAL_WIDGETS = ("textBlock",)
_SCHEDULE = re.compile(r"график|работает|режим работы", re.IGNORECASE)
_IDENTIFIER_LINE = re.compile(r"^\s*(ОГРН|ОГРНИП|ИНН|КПП)\b|^\s*\d{10,15}\s*$", re.IGNORECASE)


@layout_guard
class OzonSellerLegalPage:
    """The seller's legal information modal (``/modal/shop-in-shop-info``), for sellers whose product page
    carries no trust-factor tooltip: ``textBlock`` widgets whose ``body[]`` holds ``textAtom.text`` lines
    (legal name, ОГРН/ОГРНИП, address, working hours)."""

    def __init__(self, response: Response, seller_id: str):
        self.response = response
        self.seller_id = seller_id
        self.states = load_states(response)
        if not self.lines():
            raise LayoutError(f"no textBlock text lines; widgets: {sorted(self.states.names())[:15]}")

    def lines(self) -> list[str]:
        lines = []
        for name in SELLER_LEGAL_WIDGETS:
            for state in self.states.all(name):
                for atom in state.get("body") or []:
                    if get(atom, "type") == "textAtom":
                        text = clean_text(get(atom, "textAtom", "text"))
                        if text:
                            lines.append(text)
        return lines

    def legal_name(self) -> str | None:
        lines = [line for line in self.lines() if not _SCHEDULE.search(line)]
        with_form = next((line for line in lines if LEGAL_FORM.match(line)), None)
        if with_form:
            return with_form
        return next((line for line in lines if not _IDENTIFIER_LINE.search(line)), None)

    def legal_ids(self) -> LegalIds:
        return read_legal_ids(self.lines())

    def ogrn(self) -> str | None:
        return self.legal_ids().ogrn

    def inn(self) -> str | None:
        return self.legal_ids().inn

    def to_seller(self, observed_at: datetime, name: str | None = None) -> SellerObservation:
        ids = self.legal_ids()
        return SellerObservation(
            marketplace=MARKETPLACE,
            seller_id=self.seller_id,
            name=name,
            legal_name=self.legal_name(),
            inn=ids.inn,
            ogrn=ids.ogrn,
            legal_id_rejects=ids.rejected_text,
            observed_at=observed_at,
            response_sha256=body_sha256(self.response),
        )
