"""The page-case runner itself (marketplace_spiders/page_cases.py): a wrong expectation fails, naming every
differing field; an error case passes only on that error. Cases are copies of committed cases with one
expectation changed, read by the real page objects."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from marketplace_spiders import marketplaces
from marketplace_spiders.page_cases import PageCase, cases_of, check, read_case

WB = marketplaces.get("wildberries")


def _copy(case_id: str, tmp_path: Path, expected: dict | None = None, **meta: object) -> PageCase:
    source = next(c for c in cases_of(WB) if c.case_id == case_id)
    folder = tmp_path / "fixtures" / Path(*source.relative_parts)
    shutil.copytree(source.folder, folder)
    if expected is not None:
        (folder / "expected.json").write_text(json.dumps(expected), "utf-8")
    if meta:
        (folder / "meta.json").write_text(json.dumps({**source.meta, **meta}), "utf-8")
    return read_case(WB.slug, folder, source.package)


def test_every_differing_field_is_reported_not_only_the_first(tmp_path):
    case = _copy("wildberries/pages/stock_capped", tmp_path,
                 {"observations": [{"product_id": "201111004", "price": "1.00", "stock_qty": 5, "in_stock": True}]})
    found = check(case)
    assert [line.split(":")[0] for line in found] == ["observations[0].price", "observations[0].stock_qty"]


def test_a_decimal_is_compared_with_its_scale():
    """str(Decimal) equality: "1290" would be a price read as an integer, not the 1290.00 the page states."""
    from decimal import Decimal

    from marketplace_spiders.page_cases import differences
    assert differences({"price": Decimal("1290.00")}, {"price": "1290"}, "x") == [
        "x.price: got Decimal('1290.00'), want '1290'"]
    assert differences({"price": Decimal("1290.00")}, {"price": "1290.00"}, "x") == []


def test_a_list_of_other_length_fails(tmp_path):
    case = _copy("wildberries/pages/stock_capped", tmp_path, {"observations": []})
    assert check(case) and "1 elements, want 0" in check(case)[0]


def test_an_error_case_fails_when_the_page_reads_fine(tmp_path):
    case = _copy("wildberries/pages/stock_capped", tmp_path,
                 {"error": {"type": "LayoutError", "match": "", "methods": ["observations"]}})
    assert check(case) and check(case)[0].startswith("error: no LayoutError raised")


def test_an_error_case_fails_on_another_message(tmp_path):
    original = next(c for c in cases_of(WB) if c.case_id == "wildberries/drift/pages/price_block_renamed")
    assert original.expected["error"]["type"] == "LayoutError" and not check(original)
    case = _copy("wildberries/drift/pages/price_block_renamed", tmp_path,
                 {"error": {**original.expected["error"], "match": "^something else$"}})
    assert "does not match" in check(case)[0]


def test_an_error_of_another_type_fails(tmp_path):
    original = next(c for c in cases_of(WB) if c.case_id == "wildberries/drift/pages/price_block_renamed")
    case = _copy("wildberries/drift/pages/price_block_renamed", tmp_path,
                 {"error": {**original.expected["error"], "type": "HollowShellError"}})
    assert check(case)[0].startswith("error: got LayoutError")


def test_a_missing_object_fails_instead_of_passing_silently(tmp_path):
    case = _copy("wildberries/pages/stock_capped", tmp_path, {"observations": [{"no_such_field": 1}]})
    assert check(case) == ["observations[0].no_such_field: missing"]


def test_the_response_keeps_its_real_url_status_and_headers(tmp_path):
    from marketplace_spiders.page_cases import response_of
    case = _copy("wildberries/pages/stock_capped", tmp_path, status=203,
                 headers={"Content-Type": ["application/json; charset=utf-8"], "X-Test": ["a"]})
    response = response_of(case)
    assert (response.url, response.status, response.headers.get("X-Test")) == (case.meta["url"], 203, b"a")
