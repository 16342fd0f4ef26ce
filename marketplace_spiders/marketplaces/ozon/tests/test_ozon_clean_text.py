"""Ozon text values are HTML fragments: Ozon's own formatting tags around seller text that Ozon HTML-escaped.
clean_text gives the text a buyer sees: those tags removed, entities unescaped once, every other ``<…>`` kept.
The cases are the values the real samples carry (real_samples) and seller text spelt the same way."""

from __future__ import annotations

import html
import json
import re

import pytest
from hostile_text import ozon_escape
from sample_files import real_sample

from marketplace_spiders.marketplaces.ozon.pages import clean_text

KARTINA = "ozon/ozon_search_page_kartina_2025-12__botass740.html"


def _data_state_strings(sample: str) -> list[str]:
    """Every string inside the page's ``data-state`` JSON widgets (the values Ozon's page objects read)."""
    found: list[str] = []

    def walk(node) -> None:
        if isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
        elif isinstance(node, str):
            found.append(node)

    for match in re.finditer(r"""data-state=(?:"([^"]*)"|'([^']*)')""", real_sample(sample).read_text("utf-8")):
        try:
            walk(json.loads(html.unescape(match.group(1) or match.group(2) or "")))
        except ValueError:
            continue
    return found


def test_ozons_own_bold_label_markup_is_removed():
    labels = [text for text in _data_state_strings(KARTINA) if text.startswith("<b>")]
    assert "<b>Оригинал</b>" in labels  # as the real sample carries it
    assert "Оригинал" in {clean_text(text) for text in labels}
    assert not [text for text in labels if "<b>" in (clean_text(text) or "")]


def test_quotes_and_slashes_ozon_escaped_in_a_real_title_are_unescaped_once():
    titles = [text for text in _data_state_strings(KARTINA) if "&#34;" in text and "&#x2F;" in text]
    assert titles, "the real sample's escaped titles"
    for title in titles:
        assert clean_text(title) == html.unescape(title).strip()
        assert "&#" not in clean_text(title)


@pytest.mark.parametrize("markup", ["<br/>", "<br>", "<b>", "</b>", '<span class="x">', "</span>",
                                    '<font color="#ff0000">', "</font>", "<a href='https://x'>", "</a>",
                                    '<div class="l1-a">', "</div>", "<STRONG>", "</i>"])
def test_formatting_tags_ozon_writes_are_removed(markup):
    assert clean_text(f"Женьшень{markup}капсулы") == "Женьшенькапсулы"


@pytest.mark.parametrize("written", ["<script>x</script>", "Кымдан <3 шт>", "A &amp; B", "<b>жирный</b>",
                                     "&lt;", "a < b > c", "<3", "x/y \"z\" 'w'"])
def test_seller_text_escaped_as_ozon_serves_it_comes_back_as_written(written):
    assert clean_text("Кымдан " + ozon_escape(written)) == "Кымдан " + written.strip()


@pytest.mark.parametrize("raw", ["<script>x</script>", "Кымдан <3 шт>", "<bold>", "<x-tag a=1>", "1 <2> 3",
                                 "<style>.a{}</style>"])
def test_angle_text_that_is_not_ozon_formatting_markup_is_kept_even_unescaped(raw):
    """Values with raw quotes (the 2026 composer's textDS) show Ozon does not always escape: a ``<…>`` that
    is not one of Ozon's formatting tags is then seller text, not markup to drop."""
    assert clean_text(raw) == raw


def test_entities_are_unescaped_once_not_repeatedly():
    assert clean_text("A &amp;amp; B") == "A &amp; B"
    assert clean_text("&amp;lt;b&amp;gt;") == "&lt;b&gt;"


def test_an_escaped_tag_is_not_stripped_after_unescaping():
    assert clean_text("&lt;b&gt;жирный&lt;&#x2F;b&gt;") == "<b>жирный</b>"
