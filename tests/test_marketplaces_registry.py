"""One home per marketplace: every ``marketplace_spiders/marketplaces/<slug>/`` folder is found by the registry,
holds everything of its marketplace, and is what the core (scrapy list, block detection, watchlist, demo)
asks; the template folder copied to a new slug is a marketplace the registry finds."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sample_files import ROOT

from marketplace_spiders import demo, marketplaces, watchlist
from marketplace_spiders.blocks import KINDS, detect_block
from marketplace_spiders.config import SettingsGroup
from marketplace_spiders.marketplaces.descriptor import Marketplace

PACKAGE = ROOT / "marketplace_spiders" / "marketplaces"
TEMPLATE = PACKAGE / "_template"
ALL = marketplaces.marketplaces()
IDS = [m.slug for m in ALL]


def test_the_registry_finds_every_marketplace_folder_and_skips_the_template():
    folders = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file() and not p.name.startswith("_"))
    assert sorted(marketplaces.slugs()) == folders
    assert {"wildberries", "ozon", "yandex_market"} <= set(folders)
    assert "_template" not in marketplaces.slugs()


@pytest.mark.parametrize("marketplace", ALL, ids=IDS)
def test_a_marketplace_folder_holds_its_fixtures_samples_tests_and_readme(marketplace: Marketplace):
    folder = marketplace.folder
    assert folder == PACKAGE / marketplace.slug
    assert (folder / "README.md").is_file()
    assert (marketplace.real_samples_dir / "PROVENANCE.md").is_file()
    assert marketplace.timeline_runs(), "no bundled timeline run"
    tests = sorted(marketplace.tests_dir.glob("test_*.py"))
    assert tests and all(t.name.startswith(f"test_{marketplace.slug}_") for t in tests)


@pytest.mark.parametrize("marketplace", ALL, ids=IDS)
def test_nothing_of_a_built_marketplace_is_left_outside_its_folder(marketplace: Marketplace):
    slug = marketplace.slug
    leftovers = [p for p in (ROOT / "fixtures" / slug, ROOT / "fixtures" / "real-samples" / slug,
                             ROOT / "marketplace_spiders" / "spiders" / f"{slug}.py",
                             ROOT / "marketplace_spiders" / "pages" / slug) if p.exists()]
    leftovers += sorted((ROOT / "marketplace_spiders" / "pages").glob(f"{slug}*.py"))
    leftovers += sorted((ROOT / "tests").glob(f"test_{slug}_*.py"))
    assert leftovers == []


@pytest.mark.parametrize("marketplace", ALL, ids=IDS)
def test_the_descriptor_names_its_spider_settings_and_expectations(marketplace: Marketplace):
    spiders = marketplace.spider_classes()
    assert spiders[0].name == marketplace.slug
    assert all(spider.expectations is marketplace.expectations for spider in spiders)
    group = marketplace.settings_group()
    assert issubclass(group, SettingsGroup)
    assert group.setting_names() and all(name.startswith(group.prefix) for name in group.setting_names())


def test_settings_prefixes_and_block_kinds_are_not_shared_between_marketplaces():
    prefixes = [m.settings_group().prefix for m in ALL]
    assert len(set(prefixes)) == len(prefixes)
    declared = [kind.kind for m in ALL for kind in m.block_kinds]
    assert len(set(declared)) == len(declared)
    assert set(declared) <= KINDS


def test_a_kind_declared_for_its_own_marketplace_only_is_not_applied_to_another():
    """tls_fingerprint_403 (Wildberries' JSON hosts answering HTML 403) stays Wildberries'."""
    body = b"<html><head><title>403 Forbidden</title></head><body>angie</body></html>"
    assert detect_block("wildberries", 403, {"Server": "angie"}, body, "https://card.wb.ru/x", "json").kind == (
        "tls_fingerprint_403")
    assert detect_block("ozon", 403, {"Server": "angie"}, body, "https://www.ozon.ru/x", "json").kind == "forbidden"


def test_the_core_lists_the_registered_marketplaces():
    assert watchlist.MARKETPLACES == marketplaces.slugs()
    assert sorted(demo.timeline_runs()) == sorted(run for m in ALL for run in m.timeline_runs())


def test_the_readme_table_has_one_row_per_marketplace():
    rows = marketplaces.markdown_table().splitlines()[2:]
    assert [row.split("|")[1].strip(" `") for row in rows] == list(marketplaces.slugs())


def test_scrapy_list_prints_the_registered_spiders():
    result = subprocess.run([str(Path(sys.executable).with_name("scrapy")), "list"], cwd=ROOT, text=True,
                            capture_output=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert sorted(result.stdout.split()) == sorted(marketplaces.slugs())


def test_a_folder_whose_descriptor_names_another_slug_is_refused(tmp_path):
    package = tmp_path / "mp_wrong_slug"
    (package / "acme").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "acme" / "__init__.py").write_text(textwrap.dedent("""
        from pathlib import Path
        from marketplace_spiders.marketplaces.descriptor import Marketplace
        MARKETPLACE = Marketplace(slug="other", title="x", folder=Path(__file__).parent, spiders=("m:S",),
                                  transport="http", settings="m:C")
    """))
    code = ("import sys; sys.path.insert(0, sys.argv[1]); from marketplace_spiders.marketplaces import discover; "
            "discover([sys.argv[1] + '/mp_wrong_slug'], 'mp_wrong_slug')")
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path)], cwd=ROOT, text=True, capture_output=True,
                            timeout=120)
    assert result.returncode != 0 and "is not the folder name" in result.stderr


def test_the_template_copied_to_a_new_slug_is_a_marketplace_the_registry_finds(tmp_path):
    """The documented first step of adding a marketplace: copy _template/ to <slug>/. The copy imports, the
    registry finds it under its folder name, its spider is named for it, its settings group carries the
    slug's prefix and its page object reads its fixture. Run in a fresh process (the copy registers a
    settings group)."""
    package = tmp_path / "mp_copy"
    package.mkdir()
    (package / "__init__.py").write_text("")
    shutil.copytree(TEMPLATE, package / "acme_market", ignore=shutil.ignore_patterns("__pycache__"))
    code = textwrap.dedent("""
        import sys
        sys.path.insert(0, sys.argv[1])
        from marketplace_spiders.marketplaces import discover
        from sample_files import fixture_case_response
        found = discover([sys.argv[1] + "/mp_copy"], "mp_copy")
        assert [m.slug for m in found] == ["acme_market"], found
        market = found[0]
        spider = market.spider_classes()[0]
        assert spider.name == "acme_market" and spider.expectations is market.expectations
        group = market.settings_group()
        assert group.setting_names() == ["ACME_MARKET_SEARCH_MAX_PAGES"], group.setting_names()
        assert group.from_settings({"ACME_MARKET_SEARCH_MAX_PAGES": "7"}).search_max_pages == 7
        from mp_copy.acme_market import fuzz
        case = fuzz.EXAMPLE
        response = fixture_case_response(market.folder / case.sample.rsplit("/", 1)[0])
        assert [h.product_id for h in case.parse(response)] == ["101", "102"]
        from marketplace_spiders.page_cases import cases_of, check, schema_problems
        cases = list(cases_of(market))
        assert [c.case_id for c in cases] == ["acme_market/pages/search_two_products"], cases
        assert not schema_problems(cases[0]) and not check(cases[0]), check(cases[0])
        assert (market.folder / "README.md").is_file() and (market.real_samples_dir / "PROVENANCE.md").is_file()
        print("ok")
    """)
    env_path = f"{ROOT / 'tests'}"
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path)], cwd=ROOT, text=True, capture_output=True,
                            timeout=120, env={**__import__("os").environ, "PYTHONPATH": env_path})
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "ok"
