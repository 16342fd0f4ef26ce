"""The visible text of a string: what a reader sees, with a map back to the characters as written.

A seller can hide characters inside a product name («Кым\\u200bдан-2», «Кымда\\u0301н-2», «Кымдан-\\ufe0f2»):
the page shows «Кымдан-2», a regex sees something else. ``VisibleText.of`` removes

- format characters (Unicode category Cf): zero-width space, joiners and non-joiners, word joiner, BOM,
  soft hyphen, bidi marks and isolates, Mongolian vowel separator, tag characters;
- control characters (Cc) other than whitespace (``\\x00``, ``\\x7f``; tabs and newlines stay);
- variation selectors (U+FE00–U+FE0F, U+E0100–U+E01EF, Mongolian free variation selectors);
- combining marks (Mn, Me) on Latin, Greek and Cyrillic letters, digits, punctuation, spaces, symbols, Korean
  and Chinese, except a mark that makes the Russian й or ё: ``и\\u0306`` stays ``й``; ``а\\u0301`` (a
  stress mark) becomes ``а``, ``ŭ`` becomes ``u``, and ``ќ``, ``ў``, ``ї`` are read as ``к``, ``у``, ``і``.
  Marks on the letters of scripts that spell with them (Arabic, Hebrew, Indic, Thai, …) are kept;

and composes what is left (NFC: decomposed letters, Hangul jamo into syllables), with the font, full-width,
half-width and ligature forms of letters and digits as the plain ones (``𝐊``, ``Ｋ``, ``ﬁ`` → ``K``, ``K``,
``fi``).

Each visible character keeps ``starts[i]``, the index of the first original character it came from, and
``ends[i]``, the end of the last one (its combining marks included), so a match is reported as written.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Russian letters written with a mark that are letters of their own (not an accent on another letter). Only
# these: a stress mark on к composes to the Macedonian ќ, a breve on у to the Belarusian ў; and ё is read as е.
CYRILLIC_MARKED_LETTERS = frozenset("йЙёЁ")
# Compatibility decompositions that are only another look of the same letters or digits.
LOOK_ALIKE_FORMS = ("<font>", "<wide>", "<narrow>")


def _is_variation_selector(code: int) -> bool:
    return 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF or 0x180B <= code <= 0x180D or code == 0x180F


def is_invisible(char: str) -> bool:
    """A character that shows nothing and means nothing for matching (dropped wherever it is)."""
    category = unicodedata.category(char)
    return (category == "Cf" or (category == "Cc" and not char.isspace())
            or _is_variation_selector(ord(char)))


def _continues_cluster(char: str) -> bool:
    """A character that belongs to the one before it: a combining mark, or a Hangul vowel or final jamo."""
    code = ord(char)
    return (unicodedata.category(char) in ("Mn", "Me", "Mc") or unicodedata.combining(char) != 0
            or 0x1160 <= code <= 0x11FF or 0xD7B0 <= code <= 0xD7FF)


def _marks_are_spelling(base: str) -> bool:
    """Whether combining marks on ``base`` are part of its script's spelling (kept): letters outside Latin,
    Greek, Cyrillic (and the other scripts below U+0590), Korean, Chinese and Japanese."""
    if not unicodedata.category(base).startswith("L"):
        return False
    code = ord(base)
    stripped = (code < 0x0590 or 0x1100 <= code <= 0x11FF or 0x1D00 <= code <= 0x1FFF or 0x2E80 <= code <= 0xA4CF
                or 0xA960 <= code <= 0xA97F or 0xAC00 <= code <= 0xD7FF or 0xF900 <= code <= 0xFAFF
                or 0xFE30 <= code <= 0xFFEF or 0x1D400 <= code <= 0x1D7FF or 0x20000 <= code <= 0x3FFFF)
    return not stripped


def _plain_form(char: str) -> str:
    """``char`` without a font, width or ligature form (``𝐊`` → ``K``, ``ﬁ`` → ``fi``); other characters as
    they are (``№``, ``²``, ``½`` keep their meaning for the later rules)."""
    decomposition = unicodedata.decomposition(char)
    if not decomposition.startswith("<"):
        return char
    tag = decomposition.split(" ", 1)[0]
    if tag in LOOK_ALIKE_FORMS and unicodedata.category(char)[0] in "LN":
        return unicodedata.normalize("NFKC", char)
    if tag == "<compat>" and unicodedata.category(char).startswith("L"):
        plain = unicodedata.normalize("NFKC", char)
        return plain if plain.isalpha() else char
    return char


def _without_marks(char: str) -> str:
    """One composed character without its accents (``á`` → ``a``; ``й`` stays, being a letter of its own)."""
    if char in CYRILLIC_MARKED_LETTERS:
        return char
    decomposed = unicodedata.normalize("NFD", char)
    if len(decomposed) == 1 or _marks_are_spelling(decomposed[0]):
        return char
    base, marks = decomposed[0], decomposed[1:]
    kept = "".join(m for m in marks if not _is_strippable_mark(m)  # Hangul jamo, spacing marks
                   or unicodedata.normalize("NFC", base + m) in CYRILLIC_MARKED_LETTERS)
    return char if kept == marks else unicodedata.normalize("NFC", base + kept)


@lru_cache(maxsize=8192)
def visible_cluster(cluster: str) -> str:
    """The visible form of one cluster (a character and the marks or jamo that continue it)."""
    composed = unicodedata.normalize("NFC", cluster)
    base, rest = composed[0], composed[1:]
    if _is_strippable_mark(base):
        return ""  # marks with nothing to sit on (at the start of the text)
    if rest and _marks_are_spelling(base):
        return composed
    marks_kept = "".join(m for m in rest if not _is_strippable_mark(m))
    plain = "".join(_without_marks(c) for c in _plain_form(base))
    return unicodedata.normalize("NFC", plain + marks_kept)


def _is_strippable_mark(char: str) -> bool:
    return unicodedata.category(char) in ("Mn", "Me")


class _ProbeTable(dict):
    """``str.translate`` table keeping the characters ``VisibleText.of`` changes and deleting the others."""

    def __missing__(self, code: int) -> str | None:
        char = chr(code)
        changed = is_invisible(char) or _continues_cluster(char) or visible_cluster(char) != char
        value = self[code] = char if changed else None
        return value


PROBE_TABLE = _ProbeTable()


@dataclass(frozen=True)
class VisibleText:
    """The visible text of ``original`` and, per character, its ``starts`` / ``ends`` in ``original`` (both
    None when the text is the original: nothing was removed or composed)."""

    text: str
    starts: list[int] | None = None
    ends: list[int] | None = None

    @classmethod
    def of(cls, original: str) -> VisibleText:
        special = original.translate(PROBE_TABLE)
        if not special:
            return cls(original)  # the common case: no invisible character, mark or odd form
        text: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        done = 0
        # Only the runs of such characters, each with the character before it (a mark's base), are looked at.
        runs = re.compile("[" + "".join(re.escape(c) for c in set(special)) + "]+")
        for run in runs.finditer(original):
            start = max(run.start() - 1, done)
            text.append(original[done:start])
            starts += range(done, start)
            ends += range(done + 1, start + 1)
            _append_visible(original, start, run.end(), text, starts, ends)
            done = run.end()
        text.append(original[done:])
        starts += range(done, len(original))
        ends += range(done + 1, len(original) + 1)
        return cls("".join(text), starts, ends)


def _append_visible(original: str, start: int, end: int, text: list[str], starts: list[int],
                    ends: list[int]) -> None:
    """The visible form of ``original[start:end]`` appended to ``text``, with its map."""
    kept = [(i, original[i]) for i in range(start, end) if not is_invisible(original[i])]
    n = 0
    while n < len(kept):
        first, char = kept[n]
        cluster, last = [char], first
        n += 1
        while n < len(kept) and _continues_cluster(kept[n][1]):
            last = kept[n][0]
            cluster.append(kept[n][1])
            n += 1
        visible = visible_cluster("".join(cluster))
        if visible:
            text.append(visible)
            starts += [first] * len(visible)
            ends += [last + 1] * len(visible)
        elif ends:
            ends[-1] = last + 1  # stray marks belong to the character before them
