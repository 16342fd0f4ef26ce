"""TEMPLATE page objects: one class per page type; no I/O, no clock, only LayoutError (pages/errors.py).
Split by page type past ~400 lines (``pages/search.py``, ``pages/product.py``) and re-export the names here.

Read values through the shared readers of ``marketplace_spiders.values``, never a copy of your own: ``get``
(JSON paths), ``ld_from_html`` / ``ld_from_composer`` (JSON-LD), ``country_of_origin`` / ``manufacturer`` /
``characteristic`` (characteristic keys in the one documented order), ``read_price`` (money with currency),
``parse_count`` / ``parse_rating``, ``read_legal_ids`` (ИНН/ОГРН). ``tests/test_values_readers.py`` fails on a
page module that defines its own ``get``, ``COUNTRY_KEYS`` or JSON-LD reading."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from scrapy.http import Response

from marketplace_spiders.items import SearchHit
from marketplace_spiders.pages.base import body_sha256
from marketplace_spiders.pages.errors import LayoutError, layout_guard

__all__ = ["TemplateSearchPage"]


@layout_guard
class TemplateSearchPage:
    """A search result page ``{"products": [{"id": ..., "name": ...}, ...]}`` (replace with the real layout)."""

    def __init__(self, response: Response, marketplace: str):
        self.response = response
        self.marketplace = marketplace
        try:
            self.data: Any = json.loads(response.body)
        except ValueError as exc:
            raise LayoutError(f"search page is not JSON: {exc}") from exc
        products = self.data.get("products") if isinstance(self.data, dict) else None
        if not isinstance(products, list):
            raise LayoutError("search page has no 'products' list")
        self.products = products

    def search_hits(self, term: str, page: int, page_size: int, observed_at: datetime) -> list[SearchHit]:
        hits = []
        for index, product in enumerate(self.products):
            product_id = product.get("id") if isinstance(product, dict) else None
            if not isinstance(product_id, int | str) or isinstance(product_id, bool) or not str(product_id).strip():
                raise LayoutError(f"search product {index} has no id")
            name = product.get("name")
            hits.append(SearchHit(
                marketplace=self.marketplace, term=term, page=page, position=(page - 1) * page_size + index + 1,
                product_id=str(product_id), product_name=name if isinstance(name, str) else None,
                observed_at=observed_at, response_sha256=body_sha256(self.response),
            ))
        return hits
