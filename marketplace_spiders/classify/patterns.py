"""Regular expressions built from the data files' plain-text variants, stems and words.

All patterns run on normalised text (``normalize.normalize``), so they only need lower case, ``е`` for ``ё``
and ``-`` for every dash.
"""

from __future__ import annotations

import re

from marketplace_spiders.classify.normalize import normalize_text

# Between the parts of a variant ("кымдан" "2"): nothing, spaces, hyphens, dots, commas or brackets.
PART_SEPARATOR = r"[\s\-.,()«»\"']{0,3}"
# A quantity glued to a product number: "кымдан-25 мл" is Kumdang-2 + "5 мл".
GLUED_QUANTITY = r"[1-9]\d{0,2}(?:[.,]\d+)?\s?(?:мл|ml|мг|mg|гр|г|g|шт|pcs|амп\w*|капс\w*|таб\w*)(?![^\W\d_])"
INFLECTION = r"[а-я]{0,3}"


def _is_word_char(char: str) -> bool:
    return char.isalnum() and _is_alphabetic_script(char)


def _is_alphabetic_script(char: str) -> bool:
    """Latin, Cyrillic or a digit: scripts that separate words with spaces (unlike Korean or Chinese)."""
    return char.isdigit() or ("a" <= char <= "z") or ("а" <= char <= "я") or char in "ёіїєў"


def _variant_parts(variant: str) -> list[str]:
    """Split a normalised variant into letter runs, digit runs and other runs, dropping separators."""
    parts = re.findall(r"\d+|[^\W\d_]+|[^\w\s\-.,()«»\"']+", variant)
    return [p for p in parts if p]


def _left_boundary(first: str) -> str:
    return r"(?<![^\W_])" if _is_word_char(first) else ""


def _right_boundary(last: str, allow_inflection: bool) -> str:
    if last.isdigit():
        return rf"(?:(?!\d)|(?={GLUED_QUANTITY}))"
    if not _is_word_char(last):
        return ""
    if allow_inflection and "а" <= last <= "я":
        return INFLECTION + r"(?![^\W\d_])"
    return r"(?![^\W\d_])"


def variant_regex(variant: str, allow_inflection: bool = False) -> str:
    """A regex matching a product variant or a phrase in any spacing/dash/№ form, as a whole word."""
    parts = _variant_parts(normalize_text(variant))
    if not parts:
        raise ValueError(f"empty variant: {variant!r}")
    body = PART_SEPARATOR.join(re.escape(p) for p in parts)
    return _left_boundary(parts[0][0]) + body + _right_boundary(parts[-1][-1], allow_inflection)


def stem_regex(stem: str) -> str:
    """A regex for a claim stem: each word matched at a word start, with any ending."""
    words = normalize_text(stem).split(" ")
    pieces = []
    for word in words:
        piece = re.escape(word)
        if word and _is_word_char(word[-1]):
            piece += r"\w*"
        pieces.append(piece)
    first = words[0][0] if words and words[0] else ""
    return _left_boundary(first) + r"[\s,]+".join(pieces)


def word_regex(word: str) -> str:
    """A regex for a whole word (no other ending)."""
    normalized = normalize_text(word)
    left = _left_boundary(normalized[0])
    right = r"(?![^\W_])" if _is_word_char(normalized[-1]) else ""
    return left + re.escape(normalized) + right


def compile_any(regexes: list[str]) -> re.Pattern[str] | None:
    """One alternation of several regexes, longest first (so the longest variant wins at a position)."""
    if not regexes:
        return None
    ordered = sorted(set(regexes), key=len, reverse=True)
    return re.compile("|".join(f"(?:{r})" for r in ordered))
