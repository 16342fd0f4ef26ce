"""One runner for every registered marketplace's page cases (fixtures/pages/* and fixtures/drift/**/, schema in
marketplace_spiders/page_cases.py): each case gives exactly its expected fields, or exactly its expected error."""

from __future__ import annotations

import pytest

from marketplace_spiders import marketplaces
from marketplace_spiders.page_cases import PageCase, cases_of, check, schema_problems

CASES: list[PageCase] = [case for m in marketplaces.marketplaces() for case in cases_of(m)]


@pytest.mark.parametrize("case", CASES, ids=[c.case_id for c in CASES])
def test_page_case(case: PageCase):
    assert not schema_problems(case), schema_problems(case)
    found = check(case)
    assert not found, "\n".join([case.case_id, *found])


def test_every_registered_marketplace_has_hand_made_and_generated_cases():
    for marketplace in marketplaces.marketplaces():
        sets = {c.relative_parts[0] for c in CASES if c.slug == marketplace.slug}
        assert sets == {"pages", "drift"}, marketplace.slug
