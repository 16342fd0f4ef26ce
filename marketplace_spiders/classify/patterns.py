"""Regular expressions built from the data files' plain-text variants, stems and words.

All patterns run on normalised text (``normalize.normalize``), so they only need lower case, ``е`` for ``ё``
and ``-`` for every dash.

Each variant, stem or word also gives its *literals*: pieces of text every match of its regex contains (the
parts of a variant, the words of a stem). A ``PatternIndex`` looks for the literals of many patterns in one scan,
so a pattern is run only on the fields that hold all literals of one of its variants (on most fields, none of
the ~50 rule patterns and ~70 entity aliases).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

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


def _required(pieces: list[str]) -> tuple[str, ...]:
    """The pieces to look for: those of two characters or more when there are some (single letters and digits
    are everywhere), else all."""
    longer = tuple(dict.fromkeys(p for p in pieces if len(p) >= 2))
    return longer or tuple(dict.fromkeys(pieces))


def variant_literals(variant: str) -> tuple[str, ...]:
    """Parts of a variant that every match of ``variant_regex(variant)`` contains."""
    return _required(_variant_parts(normalize_text(variant)))


def stem_literals(stem: str) -> tuple[str, ...]:
    """Words of a stem that every match of ``stem_regex(stem)`` contains."""
    return _required(normalize_text(stem).split(" "))


def word_literals(word: str) -> tuple[str, ...]:
    """The normalised word, which every match of ``word_regex(word)`` is."""
    return (normalize_text(word),)


def compile_any(regexes: list[str]) -> re.Pattern[str] | None:
    """One alternation of several regexes, longest first (so the longest variant wins at a position)."""
    if not regexes:
        return None
    ordered = sorted(set(regexes), key=len, reverse=True)
    return re.compile("|".join(f"(?:{r})" for r in ordered))


@dataclass(frozen=True)
class Clues:
    """What a text needs for a pattern to match it: all literals of one of ``literal_sets`` (one set per variant,
    stem or word) in it, or a match of one of ``regexes`` (the hand-written regexes the pattern is made of, for
    which no literal is known). No clues at all: nothing is known, the pattern is always a candidate."""

    literal_sets: tuple[tuple[str, ...], ...] = ()
    regexes: tuple[str, ...] = ()

    def __or__(self, other: Clues) -> Clues:
        return Clues(self.literal_sets + other.literal_sets, self.regexes + other.regexes)


class PatternIndex:
    """Which of many patterns can match a text, from their ``Clues``.

    One regex, a trie of all literals, finds every position where a literal starts; at each, the longest literal
    there is found, and with it every shorter literal that is its prefix: so every literal in the text is found.
    The hand-written regexes are searched for together, as one alternation: when it finds nothing, none of them
    matches. A pattern with neither all literals of one of its sets in the text nor a regex matching it cannot
    match the text. A pattern without clues, with an empty literal or with a regex with groups or flags (a
    backreference would change meaning in the alternation) is always a candidate.

    Patterns are known by ``id(pattern)``: hashing a compiled pattern hashes its whole program, on every lookup.
    """

    def __init__(self, clues: Iterable[tuple[re.Pattern[str], Clues]]):
        merged: dict[int, Clues] = {}
        self.patterns: dict[int, re.Pattern[str]] = {}  # keeps the patterns (and so their ids) alive
        for pattern, clue in clues:
            key = id(pattern)
            merged[key] = merged[key] | clue if key in merged else clue  # both sets of clues hold
            self.patterns[key] = pattern
        always, gated, gate_regexes = set(), set(), []
        # Each literal set is looked at when its longest literal is found.
        sets_by_literal: dict[str, list[tuple[int, frozenset[str]]]] = {}
        for key, clue in merged.items():
            unknown = not clue.literal_sets and not clue.regexes
            empty = any(not literals or "" in literals for literals in clue.literal_sets)
            if unknown or empty or not all(_can_join(r) for r in clue.regexes):
                always.add(key)
                continue
            for literals in clue.literal_sets:
                sets_by_literal.setdefault(max(literals, key=len), []).append((key, frozenset(literals)))
            if clue.regexes:
                gated.add(key)
                gate_regexes += clue.regexes
        self.always = frozenset(always)
        self._gated = frozenset(gated)
        self._gate = re.compile("|".join(f"(?:{r})" for r in dict.fromkeys(gate_regexes))) if gate_regexes else None
        self._sets_by_literal = sets_by_literal
        literals = {literal for sets in sets_by_literal.values() for _, needed in sets for literal in needed}
        # The scan reports the longest literal at a position; the shorter ones that are its prefixes are there too.
        self._prefixes = {literal: frozenset(literal[:n] for n in range(1, len(literal) + 1)) & literals
                          for literal in literals}
        self._scan = re.compile(_trie_regex(literals)) if literals else None

    def candidates(self, text: str) -> set[int]:
        """The ids of the patterns that may match ``text`` (a superset of those that do)."""
        found = set(self.always)
        if self._gate is not None and self._gate.search(text) is not None:
            found |= self._gated
        if self._scan is None:
            return found
        present: set[str] = set()
        search, prefixes = self._scan.search, self._prefixes
        m = search(text)
        while m is not None:
            present |= prefixes[m.group()]
            m = search(text, m.start() + 1)
        for literal in present:
            for key, needed in self._sets_by_literal.get(literal, ()):
                if key not in found and needed <= present:
                    found.add(key)
        return found


def _can_join(regex: str) -> bool:
    """Whether ``regex`` means the same inside an alternation of others (no groups, no global flags)."""
    compiled = re.compile(regex)
    return compiled.groups == 0 and compiled.flags == re.UNICODE


def _trie_regex(words: Iterable[str]) -> str:
    """A regex matching any of ``words``, the longest one at a position (branches share their prefixes, so the
    regex engine skips positions whose character starts no word)."""
    trie: dict = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}  # a word ends here
    return _trie_node_regex(trie)


def _trie_node_regex(node: dict) -> str:
    branches = [re.escape(char) + _trie_node_regex(child) for char, child in sorted(node.items()) if char]
    if "" in node:
        branches.append("")  # tried last: a longer word through this node wins
    if len(branches) == 1:
        return branches[0]
    return "(?:" + "|".join(branches) + ")"
