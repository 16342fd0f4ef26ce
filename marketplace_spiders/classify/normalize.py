"""Text normalisation before matching, keeping a map back to the original text.

Every rule (product variants, origin signals, claim stems, entity aliases) is matched on normalised text, so
the data files need one spelling per variant instead of one per case, dash or look-alike letter. Matches are
reported with the exact text of the original, through ``NormalizedText.original_span``.

What is normalised:
- case (``str.lower``), ``ё`` → ``е``
- non-breaking, thin and other Unicode spaces, tabs and newlines → one ordinary space (runs collapsed)
- hyphens, dashes and minus signs → ``-``
- ``№`` → a space (``Кымдан №2`` reads as ``Кымдан 2``)
- digits glued to a unit → a space between (``5мл`` → ``5 мл``)
- Latin/Cyrillic look-alike letters inside a word of the other script (``Kымдaн`` → ``кымдан``)
- invisible characters dropped: format characters (Unicode category Cf: zero-width space and joiners, word
  joiner, BOM, soft hyphen, bidi controls), control characters other than whitespace (Cc) and variation
  selectors (``Кым\u200bдан-2`` reads as ``Кымдан-2``)
- combining marks (Mn, Me) dropped from Latin, Greek and Cyrillic letters, digits, punctuation, Korean and
  Chinese (``Кымда\u0301н``, ``Kŭmdang``, ``2\u20dd``), except those that make the Russian ``й`` and ``ё``
  (decomposed or not); marks of scripts that spell with them (Arabic,
  Hebrew, Indic, …) are kept. Decomposed text is composed (NFC: ``и\u0306`` → ``й``, Hangul jamo → syllables)
- font, full-width and ligature forms of letters and digits as the plain ones (``Ｋｕｍｄａｎｇ``, ``𝐊``, ``ﬁ``)

The map points into the text exactly as given: ``original_span`` of a match is the original's characters from
the first one to the last one behind it, invisible characters and combining marks inside included.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from marketplace_spiders.classify.visible import VisibleText

DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2043\ufe58\ufe63\uff0d"
# Look-alike pairs (lower case): Latin letter -> Cyrillic letter.
LATIN_TO_CYRILLIC = {
    "a": "а", "b": "в", "c": "с", "e": "е", "h": "н", "k": "к", "m": "м", "o": "о", "p": "р", "t": "т",
    "x": "х", "y": "у", "i": "і",
}
CYRILLIC_TO_LATIN = {
    "а": "a", "в": "b", "с": "c", "е": "e", "н": "h", "к": "k", "м": "m", "о": "o", "р": "p", "т": "t",
    "х": "x", "у": "y", "і": "i",
}
UNITS = ("мл", "ml", "мг", "mg", "гр", "г", "g", "шт", "pcs", "амп", "капс", "таб", "кг", "kg", "л", "l", "х", "x")
GLUED_UNIT = re.compile(r"(?<=\d)(?=(?:" + "|".join(UNITS) + r")(?![^\W\d_]))")


@dataclass(frozen=True)
class NormalizedText:
    """Normalised text plus, for each of its characters, where in the original it came from:
    ``source_index`` the first original character, ``source_end`` (None: ``source_index`` + 1) the end of the
    last one (a letter with its combining marks, a cluster of Hangul jamo)."""

    original: str
    text: str
    source_index: tuple[int, ...]
    source_end: tuple[int, ...] | None = None

    def original_span(self, start: int, end: int) -> str:
        """The original text behind the normalised slice ``text[start:end]``, as written."""
        if start >= end:
            return ""
        first = self.source_index[start]
        last = self.source_index[end - 1] + 1 if self.source_end is None else self.source_end[end - 1]
        return self.original[first:last]


def _is_space(char: str) -> bool:
    return char.isspace() or unicodedata.category(char) == "Zs"


def _fold_char(char: str) -> str:
    if char in DASHES:
        return "-"
    if char == "№":
        return " "
    if _is_space(char):
        return " "
    lowered = char.lower()
    return "е" if lowered == "ё" else lowered


def _script_of(char: str) -> str | None:
    if "a" <= char <= "z":
        return "latin"
    if "а" <= char <= "я" or char in "ёіїєў":
        return "cyrillic"
    return None


def _unify_word_script(word: list[str]) -> list[str]:
    """Convert look-alike letters of a mixed-script word to the word's script."""
    scripts = [_script_of(c) for c in word]
    if "latin" not in scripts or "cyrillic" not in scripts:
        return word
    only_cyrillic = any(s == "cyrillic" and c not in CYRILLIC_TO_LATIN for c, s in zip(word, scripts, strict=True))
    only_latin = any(s == "latin" and c not in LATIN_TO_CYRILLIC for c, s in zip(word, scripts, strict=True))
    if only_cyrillic and not only_latin:
        target = "cyrillic"
    elif only_latin and not only_cyrillic:
        target = "latin"
    else:
        target = "cyrillic" if scripts.count("cyrillic") >= scripts.count("latin") else "latin"
    table = LATIN_TO_CYRILLIC if target == "cyrillic" else CYRILLIC_TO_LATIN
    return [table.get(c, c) for c in word]


# Runs of characters that may be letters: every ``str.isalpha`` character is in the class (a run may also hold
# non-decimal digits such as "²", which ``_words`` splits on).
LETTER_RUN = re.compile(r"[^\W\d_]+")
LATIN_LETTER = re.compile("[a-z]")
CYRILLIC_LETTER = re.compile("[а-яёіїєў]")
SPACE_RUN = re.compile(" +")


class _FoldTable(dict):
    """``str.translate`` table applying ``_fold_char``, filled as characters are met."""

    def __missing__(self, code: int) -> str:
        folded = self[code] = _fold_char(chr(code))
        return folded


FOLD_TABLE = _FoldTable()


def _fold(original: str) -> tuple[str, list[int] | None]:
    """Every character folded (``_fold_char``); the index map is None when each gave one character (the
    common case: only "İ" lowers to two)."""
    folded = original.translate(FOLD_TABLE)
    if len(folded) == len(original):
        return folded, None
    index = [i for i, char in enumerate(original) for _ in FOLD_TABLE[ord(char)]]
    return folded, index


def _words(run: str, offset: int) -> list[tuple[int, str]]:
    """The words (maximal runs of ``str.isalpha`` characters) of a ``LETTER_RUN`` match, with their offsets."""
    if run.isalpha():
        return [(offset, run)]
    words, start = [], None
    for i, char in enumerate(run + "\0"):
        if char.isalpha():
            start = i if start is None else start
        elif start is not None:
            words.append((offset + start, run[start:i]))
            start = None
    return words


def _unify_scripts(text: str) -> str:
    """Look-alike letters of each mixed Latin/Cyrillic word converted to the word's script (one character for
    one: the index map does not change)."""
    if not (LATIN_LETTER.search(text) and CYRILLIC_LETTER.search(text)):
        return text
    pieces, done = [], 0
    for run in LETTER_RUN.finditer(text):
        for start, word in _words(run.group(), run.start()):
            if LATIN_LETTER.search(word) and CYRILLIC_LETTER.search(word):
                pieces += [text[done:start], "".join(_unify_word_script(list(word)))]
                done = start + len(word)
    return "".join(pieces) + text[done:] if pieces else text


def _collapse_spaces(text: str, index: list[int] | None) -> tuple[str, list[int] | None]:
    """Runs of spaces as one space (keeping the first one's index); none at the start or the end."""
    if "  " not in text and not text.startswith(" ") and not text.endswith(" "):
        return text, index
    if index is None:
        index = list(range(len(text)))
    out_text: list[str] = []
    out_index: list[int] = []
    done = 0
    for run in SPACE_RUN.finditer(text):
        start, end = run.span()
        out_text.append(text[done:start])
        out_index += index[done:start]
        if start > 0 and end < len(text):
            out_text.append(" ")
            out_index.append(index[start])
        done = end
    out_text.append(text[done:])
    out_index += index[done:]
    return "".join(out_text), out_index


def _split_glued_units(text: str, index: list[int] | None) -> tuple[str, list[int] | None]:
    """A space between a number and a unit glued to it; the space maps to the number's last digit."""
    cuts = [m.start() for m in GLUED_UNIT.finditer(text)]
    if not cuts:
        return text, index
    if index is None:
        index = list(range(len(text)))
    out_text: list[str] = []
    out_index: list[int] = []
    done = 0
    for cut in cuts:
        out_text += [text[done:cut], " "]
        out_index += index[done:cut]
        out_index.append(index[cut - 1])
        done = cut
    out_text.append(text[done:])
    out_index += index[done:]
    return "".join(out_text), out_index


# Short texts (countries, brands, makers, sellers' legal names) come back on almost every listing.
SHORT_TEXT = 100


def normalize(original: str | None) -> NormalizedText:
    """Normalise ``original`` for matching (see the module docstring), keeping the map to the original."""
    if original is not None and len(original) <= SHORT_TEXT:
        return _normalize_short(original)
    return _normalize(original)


@lru_cache(maxsize=4096)
def _normalize_short(original: str) -> NormalizedText:
    return _normalize(original)


def _normalize(original: str | None) -> NormalizedText:
    original = original or ""
    visible = VisibleText.of(original)
    text, index = _fold(visible.text)
    text = _unify_scripts(text)
    text, index = _collapse_spaces(text, index)
    text, index = _split_glued_units(text, index)
    if visible.starts is None:
        return NormalizedText(original, text, tuple(range(len(text)) if index is None else index))
    if index is None:
        return NormalizedText(original, text, tuple(visible.starts), tuple(visible.ends))
    return NormalizedText(original, text, tuple(visible.starts[i] for i in index),
                          tuple(visible.ends[i] for i in index))


def normalize_text(text: str | None) -> str:
    """The normalised form of ``text`` (for comparing names and building patterns)."""
    return normalize(text).text
