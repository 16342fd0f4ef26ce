"""Invisible characters and combining marks inside product names, claims and origin words.

Table-driven: every invisible character (and every combining mark) at every position of several names; the
listing classifies as without it, and the reported text is the original's slice, the hidden character
included.
"""

from __future__ import annotations

import pytest

from marketplace_spiders.classify import classify_listing, normalize, normalize_text

# Characters a page shows as nothing.
INVISIBLE = {
    "zero_width_space": "\u200b", "zero_width_non_joiner": "\u200c", "zero_width_joiner": "\u200d",
    "word_joiner": "\u2060", "bom": "\ufeff", "soft_hyphen": "\u00ad", "variation_selector_16": "\ufe0f",
    "variation_selector_1": "\ufe00", "left_to_right_mark": "\u200e", "right_to_left_override": "\u202e",
    "first_strong_isolate": "\u2068", "mongolian_vowel_separator": "\u180e", "arabic_letter_mark": "\u061c",
    "tag_character": "\U000e0041", "nul": "\x00", "delete": "\x7f", "c1_control": "\x90",
}
# Combining marks that make no letter of their own on the letters they land on here.
MARKS = {
    "acute_stress_mark": "\u0301", "grave": "\u0300", "macron": "\u0304", "dot_below": "\u0323",
    "combining_grapheme_joiner": "\u034f", "enclosing_circle": "\u20dd", "keycap": "\u20e3",
}
HIDDEN = {**INVISIBLE, **MARKS}

# (case, listing field, name, what must be found: ("product" | "signal" | "claim", id or category))
NAMES = [
    ("kumdang_2_cyrillic", "title", "Кымдан-2", ("product", "kumdang-2")),
    ("kumdang_2_latin", "title", "Kumdang-2", ("product", "kumdang-2")),
    ("kumdang_2_korean", "title", "금당-2", ("product", "kumdang-2")),
    ("kumdang_2_chinese", "title", "金糖二號", ("product", "kumdang-2")),
    ("neo_viagra", "title", "Нео-Виагра", ("product", "neo-viagra-yr")),
    ("royal_blood_fresh", "title", "Royal Blood-Fresh", ("product", "royal-blood-fresh")),
    ("claim_stem", "description", "омолаживает", ("claim", "anti_ageing")),
    ("claim_immunity", "description", "иммунитет", ("claim", "immunity")),
    ("origin_kndr", "country_of_origin", "КНДР", ("signal", "country_field_dprk")),
    ("origin_pyongyang", "description", "Пхеньяне", ("signal", "text_pyongyang")),
]


def _listing(field: str, text: str) -> dict:
    listing = {"title": "Бальзам", field: text}
    if field == "description":
        listing["description"] = f"Средство {text} кожу."
    return listing


def _found(result: dict, kind: str, key: str) -> list[str]:
    """The reported texts of what was found (products by id, signals by id, claims by category)."""
    if kind == "product":
        return [p["text"] for p in result["products"] if p["id"] == key]
    if kind == "signal":
        return [s["text"] for s in result["origin_signals"] if s["id"] == key]
    return [c["text"] for c in result["claims"] if c["category"] == key]


CASES = [(f"{case}-{hidden}-at-{i}", field, name, found, char, i)
         for case, field, name, found in NAMES for hidden, char in HIDDEN.items() for i in range(1, len(name))]


@pytest.mark.parametrize(("case", "field", "name", "found", "char", "position"), CASES, ids=[c[0] for c in CASES])
def test_hidden_character_inside_a_name_changes_nothing_and_is_reported_as_written(
        case: str, field: str, name: str, found: tuple[str, str], char: str, position: int) -> None:
    written = name[:position] + char + name[position:]
    plain = classify_listing(_listing(field, name))
    hidden = classify_listing(_listing(field, written))
    assert hidden["verdict"] == plain["verdict"]
    assert _found(hidden, *found) == [written]


@pytest.mark.parametrize("hidden", sorted(INVISIBLE))
def test_invisible_character_around_a_name_is_not_in_the_reported_text(hidden: str) -> None:
    char = INVISIBLE[hidden]
    result = classify_listing({"title": f"{char}Кымдан-2{char} ампулы"})
    assert result["verdict"] == "strong"
    assert _found(result, "product", "kumdang-2") == ["Кымдан-2"]


@pytest.mark.parametrize("hidden", sorted(MARKS))
def test_combining_mark_after_a_name_belongs_to_its_last_letter(hidden: str) -> None:
    mark = MARKS[hidden]
    result = classify_listing({"title": f"Кымдан-2{mark} ампулы"})
    assert _found(result, "product", "kumdang-2") == [f"Кымдан-2{mark}"]


MIXED = [
    ("latin_k_and_a_with_zero_width_space", "Kым\u200bдaн-2"),
    ("latin_lookalikes_with_soft_hyphens", "K\u00adы\u00adм\u00adд\u00ada\u00adн-2"),
    ("latin_o_with_stress_mark_in_neo", "Неo\u0301-Виагра"),
    ("cyrillic_lookalikes_in_latin_word_with_joiner", "Kumd\u200dаng-2"),
    ("latin_a_with_acute_precomposed", "Кымдáн-2"),
    ("every_hidden_character_at_once", "K\u200bы\u0301м\u2060д\ufeffa\u00adн\ufe0f-\u200d2"),
]


@pytest.mark.parametrize(("case", "written"), MIXED, ids=[m[0] for m in MIXED])
def test_lookalike_letters_and_hidden_characters_together(case: str, written: str) -> None:
    result = classify_listing({"title": f"Купить {written} ампулы"})
    assert result["verdict"] == "strong"
    assert [p["text"] for p in result["products"] if p["specificity"] == "dprk_specific"] == [written]


KEPT_LETTERS = [
    ("decomposed_short_i", "Кэсонскии\u0306 женьшень", "кэсонский женьшень"),
    ("decomposed_yo", "Е\u0308лка", "елка"),
    ("precomposed_short_i_kept", "йод", "йод"),
    ("stress_mark_on_k_is_no_macedonian_kje", "К\u0301ымдан", "кымдан"),
    ("breve_on_u_is_no_belarusian_short_u", "Ку\u0306мдан", "кумдан"),
    ("hangul_jamo_composed", "\u1100\u1173\u11b7\u1103\u1161\u11bc-2", "금당-2"),
    ("hangul_syllables_untouched", "금당 2호", "금당 2호"),
    ("hangul_with_stray_mark", "금\u0301당", "금당"),
    ("chinese_with_variation_selector", "金\ufe0f糖", "金糖"),
    ("arabic_marks_kept", "\u0628\u064e", "\u0628\u064e"),
    ("mccune_reischauer_breves", "Kŭmdang P'yŏngyang", "kumdang p'yongyang"),
    ("fullwidth_letters", "Ｋｕｍｄａｎｇ-２", "kumdang-2"),
    ("mathematical_bold", "𝐊𝐮𝐦𝐝𝐚𝐧𝐠", "kumdang"),
    ("ligature", "ﬁt", "fit"),
    ("numero_sign_keeps_its_rule", "Кымдан №2", "кымдан 2"),
    ("tab_and_newline_stay_spaces", "a\tb\nc", "a b c"),
]


@pytest.mark.parametrize(("case", "raw", "expected"), KEPT_LETTERS, ids=[k[0] for k in KEPT_LETTERS])
def test_letters_of_their_own_stay_and_forms_fold(case: str, raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


def test_decomposed_short_i_still_matches_the_ambiguous_name() -> None:
    result = classify_listing({"title": "Кэсонскии\u0306 женьшень"})
    assert [(p["id"], p["text"]) for p in result["products"]] == [("kaesong-koryo-insam", "Кэсонскии\u0306 женьшень")]


def test_every_normalised_character_maps_into_the_text_as_given() -> None:
    written = "\ufeffКупить K\u200bы\u0301мдaн\u00ad-2, 5мл \u1100\u1173\u11b7당"
    text = normalize(written)
    assert text.original == written
    for i in range(len(text.text)):
        span = text.original_span(i, i + 1)
        assert span and span in written
    start = text.text.index("кымдан-2")
    assert text.original_span(start, start + len("кымдан-2")) == "K\u200bы\u0301мдaн\u00ad-2"
    start = text.text.index("금당")
    assert text.original_span(start, start + 2) == "\u1100\u1173\u11b7당"
