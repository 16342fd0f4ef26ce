"""Normalisation and variant matching, table-driven: one row per spelling trap found."""

from __future__ import annotations

import pytest

from marketplace_spiders.classify import classify_listing, normalize, normalize_text

NORMALISED = [
    ("case", "КЫМДАН-2 Kumdang", "кымдан-2 kumdang"),
    ("yo_to_ye", "Корё ёж", "коре еж"),
    ("non_breaking_space", "Кымдан\u00a02", "кымдан 2"),
    ("thin_and_narrow_spaces", "10\u2009шт\u202fв\u2007упаковке", "10 шт в упаковке"),
    ("space_runs_and_newlines", "  омолаживает\n\n\tкожу  ", "омолаживает кожу"),
    ("en_dash", "Кымдан–2", "кымдан-2"),
    ("em_dash", "Кымдан—2", "кымдан-2"),
    ("non_breaking_hyphen", "Кымдан\u20112", "кымдан-2"),
    ("minus_sign", "Кымдан\u22122", "кымдан-2"),
    ("numero_sign", "Кымдан №2", "кымдан 2"),
    ("digits_glued_to_ml", "5мл", "5 мл"),
    ("digits_glued_to_pieces", "10шт", "10 шт"),
    ("glued_number_and_unit", "Кымдан-25мл", "кымдан-25 мл"),
    ("unit_prefix_inside_word_kept", "6летний", "6летний"),
    ("latin_lookalikes_in_cyrillic_word", "Kымдaн", "кымдан"),
    ("cyrillic_lookalikes_in_latin_word", "Kumdаng", "kumdang"),
    ("latin_only_word_untouched", "Pyongyang", "pyongyang"),
    ("latin_lookalikes_in_kndr", "KHДP", "кндр"),
    ("korean_untouched", "금당 2호", "금당 2호"),
]


@pytest.mark.parametrize(("case", "raw", "expected"), NORMALISED, ids=[r[0] for r in NORMALISED])
def test_normalize_text(case: str, raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


def test_original_span_maps_back_through_every_rule() -> None:
    original = "Ёлки\u00a0—  Kымдaн\u20112, 5мл"
    text = normalize(original)
    start = text.text.index("кымдан-2")
    assert text.original_span(start, start + len("кымдан-2")) == "Kымдaн\u20112"
    start = text.text.index("5 мл")
    assert text.original_span(start, start + 4) == "5мл"


KUMDANG_2 = [
    ("hyphen", "Кымдан-2 ампулы", True),
    ("space", "Кымдан 2 ампулы", True),
    ("glued", "Кымдан2 ампулы", True),
    ("numero", "Кымдан №2", True),
    ("kumdan_spelling", "Кумдан-2", True),
    ("kymdang_spelling", "Кымданг-2", True),
    ("latin", "Kumdang-2 serum", True),
    ("latin_space", "Kumdang 2", True),
    ("geumdang", "Geumdang-2", True),
    ("korean", "금당-2", True),
    ("korean_ho", "금당 2호", True),
    ("chinese", "金糖二號", True),
    ("glued_5_ml", "Кымдан-25 мл", True),
    ("glued_5ml_no_space", "Кымдан-25мл", True),
    ("glued_10_ampoules", "Кымдан-210 ампул", True),
    ("kumdang_25_alone", "Кымдан-25", False),
    ("kumdang_25_word", "Kumdang-25 набор", False),
    ("kumdang_250", "Кымдан-250", False),
    ("kumdang_5", "Кымдан-5", False),
    ("kumdang_bare", "Кымдан", False),
    ("inside_word", "Суперкымдан-2", False),
]


@pytest.mark.parametrize(("case", "title", "matches"), KUMDANG_2, ids=[r[0] for r in KUMDANG_2])
def test_kumdang_2_variants(case: str, title: str, matches: bool) -> None:
    products = {p["id"] for p in classify_listing({"title": title})["products"] if p["specificity"] == "dprk_specific"}
    assert ("kumdang-2" in products) is matches


def test_glued_quantity_reports_only_the_product_text() -> None:
    products = classify_listing({"title": "Кымдан-25 мл х 10"})["products"]
    assert [(p["id"], p["text"]) for p in products] == [("kumdang-2", "Кымдан-2")]
