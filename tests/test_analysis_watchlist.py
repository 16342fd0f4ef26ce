"""The watchlist is validated before anything searches: every bad file is an error naming the file and
the product, instead of silently wrong search terms."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from marketplace_spiders.watchlist import MARKETPLACES, WATCHLIST_ENV, Watchlist, WatchlistError

ROOT = Path(__file__).resolve().parents[1]
GOOD = '[[product]]\nid = "kumdang-2"\nname = "Kumdang-2"\nterms = ["Кымдан-2", "Kumdang-2"]\n'


def product(body: str) -> str:
    return f'[[product]]\nid = "kumdang-2"\n{body}\n'


# (case, watchlist text, fragments the error must contain)
BAD_WATCHLISTS = [
    ("terms_as_a_string", product('terms = "Кымдан-2"'),
     ["product 'kumdang-2'", "'terms' must be a list of texts", "'Кымдан-2'", '["Кымдан-2"]']),
    ("terms_empty", product("terms = []"), ["product 'kumdang-2'", "'terms' is empty"]),
    ("terms_missing", product('name = "Kumdang-2"'), ["product 'kumdang-2'", "'terms' is missing"]),
    ("blank_term", product('terms = ["Кымдан-2", "  "]'), ["product 'kumdang-2'", "non-blank text", "'  '"]),
    ("term_not_text", product('terms = ["Кымдан-2", 2]'), ["product 'kumdang-2'", "non-blank text", "int 2"]),
    ("terms_as_a_table", product('terms = {a = "b"}'), ["'terms' must be a list of texts", "dict"]),
    ("id_missing", '[[product]]\nterms = ["x"]\n', ["product #1", "'id' must be a non-empty text"]),
    ("id_not_text", '[[product]]\nid = 5\nterms = ["x"]\n', ["product #1", "'id'", "int 5"]),
    ("id_blank", '[[product]]\nid = " "\nterms = ["x"]\n', ["product #1", "'id' must be a non-empty text"]),
    ("duplicate_id", GOOD + GOOD, ["product 'kumdang-2': id used by another product"]),
    ("name_not_text", product('name = ["K"]\nterms = ["x"]'), ["product 'kumdang-2'", "'name'", "list"]),
    ("unknown_product_key", product('terms = ["x"]\nextra_terms = ["y"]'),
     ["product 'kumdang-2'", "unknown key(s) 'extra_terms'"]),
    ("unknown_top_level_key", 'products = []\n' + GOOD, ["unknown top-level key(s) 'products'"]),
    ("no_product", "# nothing here\n", ["no [[product]]"]),
    ("product_not_tables", 'product = ["x"]\n', ["'product' must be [[product]] tables"]),
    ("unknown_marketplace", product('terms = ["x"]\n[product.marketplaces.wildberies]\nterms = ["y"]'),
     ["product 'kumdang-2'", "marketplace 'wildberies'", "unknown marketplace", "wildberries, ozon, yandex_market"]),
    ("override_terms_as_a_string", product('terms = ["x"]\n[product.marketplaces.ozon]\nextra_terms = "Кымдан"'),
     ["product 'kumdang-2'", "marketplace 'ozon'", "'extra_terms' must be a list of texts"]),
    ("override_terms_empty", product('terms = ["x"]\n[product.marketplaces.ozon]\nterms = []'),
     ["marketplace 'ozon'", "'terms' is empty"]),
    ("override_unknown_key", product('terms = ["x"]\n[product.marketplaces.ozon]\nextra_term = ["y"]'),
     ["marketplace 'ozon'", "unknown key(s) 'extra_term'", "needs 'terms' or 'extra_terms'"]),
    ("override_not_a_table", product('terms = ["x"]\nmarketplaces = {ozon = ["y"]}'),
     ["marketplace 'ozon'", "must be a table"]),
    ("marketplaces_not_a_table", product('terms = ["x"]\nmarketplaces = ["ozon"]'),
     ["'marketplaces' must be [product.marketplaces.<slug>] tables"]),
    ("not_toml", 'terms = ["x"\n', ["not valid TOML"]),
]


@pytest.mark.parametrize(("text", "fragments"), [c[1:] for c in BAD_WATCHLISTS], ids=[c[0] for c in BAD_WATCHLISTS])
def test_a_bad_watchlist_is_an_error_naming_the_file_and_the_product(
    tmp_path: Path, text: str, fragments: list[str]
) -> None:
    path = tmp_path / "watchlist.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(WatchlistError) as caught:
        Watchlist.load(path)
    message = str(caught.value)
    assert all(line.startswith(f"{path}: ") for line in caught.value.errors)
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def test_every_problem_of_a_file_is_reported_at_once(tmp_path: Path) -> None:
    path = tmp_path / "w.toml"
    path.write_text('[[product]]\nid = "a"\nterms = "A"\n[[product]]\nid = "b"\nterms = []\n', encoding="utf-8")
    with pytest.raises(WatchlistError) as caught:
        Watchlist.load(path)
    assert [e.split(": ")[1] for e in caught.value.errors] == ["product 'a'", "product 'b'"]


def test_a_missing_file_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(WatchlistError, match="nope.toml: cannot read the file"):
        Watchlist.load(tmp_path / "nope.toml")


def test_a_valid_watchlist_keeps_its_terms_and_overrides() -> None:
    text = product('terms = [" Кымдан-2 ", "Kumdang-2"]\n[product.marketplaces.ozon]\nextra_terms = ["Кумдан"]\n'
                   '[product.marketplaces.wildberries]\nterms = ["Кымдан"]')
    watchlist = Watchlist.parse(text)
    assert watchlist.terms_for("ozon") == ["Кымдан-2", "Kumdang-2", "Кумдан"]
    assert watchlist.terms_for("wildberries") == ["Кымдан"]
    assert watchlist.products[0].name == "kumdang-2"


def test_the_packaged_watchlist_is_valid() -> None:
    assert len(Watchlist.load().products) >= 9


def test_known_marketplaces_are_the_spiders() -> None:
    from scrapy.spiderloader import SpiderLoader
    from scrapy.utils.project import get_project_settings

    assert sorted(SpiderLoader.from_settings(get_project_settings()).list()) == sorted(MARKETPLACES)


def test_the_crawl_setting_follows_the_watchlist_environment_variable(tmp_path: Path) -> None:
    """MONITOR_WATCHLIST is the crawl's WATCHLIST_PATH unless -s overrides it (the report reads the same)."""
    code = "from scrapy.utils.project import get_project_settings; print(get_project_settings()['WATCHLIST_PATH'])"
    env = {**os.environ, WATCHLIST_ENV: str(tmp_path / "mine.toml")}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str(tmp_path / "mine.toml")
    env.pop(WATCHLIST_ENV)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "None"
