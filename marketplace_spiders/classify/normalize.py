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
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2043\ufe58\ufe63\uff0d\u00ad"
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
    """Normalised text plus, for each of its characters, the index of the original character it came from."""

    original: str
    text: str
    source_index: tuple[int, ...]

    def original_span(self, start: int, end: int) -> str:
        """The original text behind the normalised slice ``text[start:end]``."""
        if start >= end:
            return ""
        first = self.source_index[start]
        last = self.source_index[end - 1]
        return self.original[first : last + 1]


def _is_space(char: str) -> bool:
    return char.isspace() or unicodedata.category(char) == "Zs" or char in "\u200b\u2060\ufeff"


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


def _unify_scripts(chars: list[str]) -> list[str]:
    out: list[str] = []
    word: list[str] = []
    for char in chars:
        if char.isalpha():
            word.append(char)
            continue
        out.extend(_unify_word_script(word))
        word = []
        out.append(char)
    out.extend(_unify_word_script(word))
    return out


def _collapse_spaces(chars: list[str], index: list[int]) -> tuple[list[str], list[int]]:
    out_chars: list[str] = []
    out_index: list[int] = []
    for char, i in zip(chars, index, strict=True):
        if char == " " and (not out_chars or out_chars[-1] == " "):
            continue
        out_chars.append(char)
        out_index.append(i)
    if out_chars and out_chars[-1] == " ":
        out_chars.pop()
        out_index.pop()
    return out_chars, out_index


def _split_glued_units(chars: list[str], index: list[int]) -> tuple[list[str], list[int]]:
    text = "".join(chars)
    cuts = [m.start() for m in GLUED_UNIT.finditer(text)]
    for cut in reversed(cuts):
        chars.insert(cut, " ")
        index.insert(cut, index[cut - 1])
    return chars, index


def normalize(original: str | None) -> NormalizedText:
    """Normalise ``original`` for matching (see the module docstring), keeping the map to the original."""
    original = original or ""
    chars: list[str] = []
    index: list[int] = []
    for i, char in enumerate(unicodedata.normalize("NFC", original)):
        for folded in _fold_char(char):
            chars.append(folded)
            index.append(i)
    # NFC can shorten the text (combining marks): map back onto the NFC form, which is what we index.
    original = unicodedata.normalize("NFC", original)
    chars = _unify_scripts(chars)
    chars, index = _collapse_spaces(chars, index)
    chars, index = _split_glued_units(chars, index)
    return NormalizedText(original, "".join(chars), tuple(index))


def normalize_text(text: str | None) -> str:
    """The normalised form of ``text`` (for comparing names and building patterns)."""
    return normalize(text).text
