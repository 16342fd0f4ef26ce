"""Drifted and hostile Yandex Market pages through the real spider: run-1 of the bundled timeline, with pages
transformed by fixtures/drift/derive.py, replayed into a real DuckDB file. A page the page
object refuses is a malformed fetch with no rows; seller-written words do not hide search results; a tenge
price is stored in tenge."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from sample_files import ROOT, fixtures_of, rows

DRIFT = fixtures_of("yandex_market") / "drift"
RUN = fixtures_of("yandex_market") / "timeline" / "run-1"
SERUM, TEA = "763970960", "1130069667"


def _derive():
    spec = importlib.util.spec_from_file_location("ym_drift_derive", DRIFT / "derive.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _replay(folder: Path, edits: dict[str, str], exit_code: int = 0) -> duckdb.DuckDBPyConnection:
    """run-1 with ``bodies/<name>`` passed through the derive transformation named for it, replayed by
    ``scrapy crawl`` (which must exit with ``exit_code``)."""
    derive = _derive()
    recording = folder / "recording"
    shutil.copytree(RUN, recording)
    for name, transformation in edits.items():
        body = recording / "bodies" / name
        body.write_text(getattr(derive, transformation)(body.read_text("utf-8")), "utf-8")
    db = folder / "ym.duckdb"
    result = subprocess.run(
        [str(Path(sys.executable).with_name("scrapy")), "crawl", "yandex_market", "-s", f"REPLAY_DIR={recording}",
         "-s", f"DUCKDB_PATH={db}", "-s", "LOG_LEVEL=WARNING"], cwd=ROOT, text=True, capture_output=True)
    assert result.returncode == exit_code, result.stdout + result.stderr
    return duckdb.connect(str(db), read_only=True)


@pytest.fixture(scope="module")
def product_drift(tmp_path_factory):
    con = _replay(tmp_path_factory.mktemp("ym-drift"), {
        "search-1.html": "search_title_says_nothing_found",
        f"product-{SERUM}.html": "product_id_renamed",
        f"product-{TEA}.html": "all_prices_in_tenge",
    })
    yield con
    con.close()


@pytest.fixture(scope="module")
def search_drift(tmp_path_factory):
    con = _replay(tmp_path_factory.mktemp("ym-search-drift"), {"search-1.html": "search_product_id_renamed"},
                  exit_code=1)
    yield con
    con.close()


def test_product_page_without_its_product_id_is_a_malformed_fetch_with_no_rows(product_drift):
    got = rows(product_drift, "SELECT outcome, reason FROM fetches WHERE page_type = 'product_page' "
                              "AND list_contains(product_ids, ?)", SERUM)
    assert [(outcome, "productCardMeta without productId" in reason) for outcome, reason in got] == [
        ("malformed", True)]
    # no row under the /card/ URL's offer id, no row under the model id either
    assert rows(product_drift, "SELECT count(*) FROM listing_observations WHERE source = 'product_page' "
                               "AND product_id <> ?", TEA) == [(0,)]


def test_a_title_saying_nothing_found_does_not_hide_the_search_results(product_drift):
    assert rows(product_drift, "SELECT outcome FROM fetches WHERE page_type = 'search'") == [("ok",)]
    assert rows(product_drift, "SELECT product_id, position FROM search_hits ORDER BY position") == [
        (SERUM, 1), (TEA, 2)]
    assert rows(product_drift, "SELECT product_name FROM search_hits WHERE product_id = ?", SERUM) == [
        ("По запросу «другие чаи» ничего не нашлось — берите наш женьшеневый чай",)]


def test_a_price_stated_in_tenge_is_stored_in_tenge(product_drift):
    assert rows(product_drift, "SELECT price::VARCHAR, currency FROM listing_observations WHERE product_id = ?",
                TEA) == [("1590.00", "KZT")]


def test_search_page_whose_result_ids_vanished_is_malformed_not_empty(search_drift):
    got = rows(search_drift, "SELECT outcome, reason FROM fetches WHERE page_type = 'search'")
    assert [(outcome, "without a productId" in reason) for outcome, reason in got] == [("malformed", True)]
    assert rows(search_drift, "SELECT count(*) FROM search_hits") == [(0,)]
    # the run that read nothing from its only page is failed, not an ok run with zero results
    assert rows(search_drift, "SELECT status FROM crawl_runs") == [("failed",)]
