"""The template's own page object on its fixture (a copy renames this file test_<slug>_pages.py: test file
names are unique across the repository)."""

from datetime import UTC, datetime

import pytest
from sample_files import fixture_case_response

from marketplace_spiders.marketplaces._template import MARKETPLACE
from marketplace_spiders.marketplaces._template.pages import TemplateSearchPage
from marketplace_spiders.pages.errors import LayoutError

AT = datetime(2026, 11, 1, tzinfo=UTC)


def test_the_search_fixture_gives_one_hit_per_product():
    response = fixture_case_response(MARKETPLACE.fixtures_dir / "pages" / "search_two_products")
    hits = TemplateSearchPage(response, "template").search_hits("x", 1, 100, AT)
    assert [(h.product_id, h.position, h.product_name) for h in hits] == [
        ("101", 1, "Example product one"), ("102", 2, "Example product two")]


def test_a_product_without_an_id_is_a_layout_error():
    response = fixture_case_response(MARKETPLACE.fixtures_dir / "pages" / "search_two_products")
    response = response.replace(body=b'{"products": [{"name": "no id"}]}')
    with pytest.raises(LayoutError):
        TemplateSearchPage(response, "template").search_hits("x", 1, 100, AT)
