"""The template's own page object on its fixture (a copy renames this file test_<slug>_pages.py: test file
names are unique across the repository). The fixture is a page case in the one schema
(marketplace_spiders/page_cases.py); a registered copy's cases are run by tests/test_page_cases.py."""

from datetime import UTC, datetime

import pytest
from sample_files import fixture_case_response

from marketplace_spiders.marketplaces._template import MARKETPLACE
from marketplace_spiders.marketplaces._template.pages import TemplateSearchPage
from marketplace_spiders.page_cases import cases_of, check, schema_problems
from marketplace_spiders.pages.errors import LayoutError

AT = datetime(2026, 11, 1, tzinfo=UTC)


def test_the_template_case_is_in_the_page_case_schema_and_passes():
    cases = list(cases_of(MARKETPLACE))
    assert [c.case_id for c in cases] == [f"{MARKETPLACE.slug}/pages/search_two_products"]
    assert not schema_problems(cases[0])
    assert not check(cases[0])


def test_a_product_without_an_id_is_a_layout_error():
    response = fixture_case_response(MARKETPLACE.fixtures_dir / "pages" / "search_two_products")
    response = response.replace(body=b'{"products": [{"name": "no id"}]}')
    with pytest.raises(LayoutError):
        TemplateSearchPage(response, "template").search_hits("x", 1, 100, AT)
