"""The TEMPLATE page objects and the inputs tests/test_fuzz_pages.py garbles. A built marketplace lists its real
samples here (``real_samples/...``); the template has none, so it names its fixture and registers no case."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from scrapy.http import TextResponse

from marketplace_spiders.marketplaces.descriptor import FuzzCase

from .pages import TemplateSearchPage

AT = datetime(2026, 11, 1, tzinfo=UTC)


def template_search(r: TextResponse) -> Any:
    return TemplateSearchPage(r, "template").search_hits("x", 1, 100, AT)


EXAMPLE = FuzzCase("template_search", template_search, "fixtures/pages/search_two_products/body.json",
                   "https://example.invalid/search?q=x")
CASES: tuple[FuzzCase, ...] = ()  # TODO: (FuzzCase(...real_samples/...), ...)
