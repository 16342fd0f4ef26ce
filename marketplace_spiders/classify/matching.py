"""Find products, origin signals, counter-signals and claims in a listing's fields.

The ``find_*`` functions take ``candidates`` (``rule_candidates``: for each pattern, by ``id``, the fields in
which its literals occur, see ``patterns.PatternIndex``) and run a pattern only on those fields; without it they
run every pattern on every field. Either way the hits, and their order, are the same.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_left
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from marketplace_spiders.classify.normalize import NormalizedText, normalize
from marketplace_spiders.classify.patterns import PatternIndex
from marketplace_spiders.classify.rules import GENERIC, SPECIFIC, ClaimRule, ProductRule, Rules, SignalRule

# Listing fields the classifier reads, in report order.
TEXT_FIELDS = ("title", "description", "characteristics", "country_of_origin", "manufacturer", "brand",
               "seller_legal_name")
SPECIFICITY_RANK = {SPECIFIC: 0, "ambiguous": 1, GENERIC: 2}


@dataclass(frozen=True)
class Match:
    """One pattern hit: where (field, normalised span) and the exact original text."""

    field: str
    start: int
    end: int
    text: str


def characteristics_text(value: object) -> str:
    """Characteristics as one text: ``name: value`` lines from an object, or the string as given."""
    if value is None:
        return ""
    if isinstance(value, str):
        stripped = value.strip()
        if stripped.startswith("{"):
            try:
                return characteristics_text(json.loads(stripped))
            except json.JSONDecodeError:
                return value
        return value
    if isinstance(value, Mapping):
        return "\n".join(f"{k}: {_value_text(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "\n".join(_value_text(v) for v in value)
    return str(value)


def _value_text(value: object) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, Mapping):
        return characteristics_text(value)
    return "" if value is None else str(value)


def field_texts(listing: Mapping[str, object], max_chars: int | None = None) -> tuple[dict[str, str], dict[str, int]]:
    """The listing's text fields as text (characteristics as ``name: value`` lines), each cut to its first
    ``max_chars`` characters (None: whole); and the length before the cut of each field cut."""
    texts, truncated = {}, {}
    for name in TEXT_FIELDS:
        raw = listing.get(name)
        text = characteristics_text(raw) if name == "characteristics" else ("" if raw is None else str(raw))
        if max_chars is not None and len(text) > max_chars:
            truncated[name] = len(text)
            text = text[:max_chars]
        texts[name] = text
    return texts, truncated


def normalized_fields(texts: Mapping[str, str]) -> dict[str, NormalizedText]:
    """The fields with text, normalised (empty and blank fields are left out)."""
    return {name: normalize(text) for name, text in texts.items() if text.strip()}


def listing_fields(listing: Mapping[str, object], max_chars: int | None = None) -> dict[str, NormalizedText]:
    """The listing's text fields, normalised (missing fields are left out), each cut to ``max_chars``."""
    return normalized_fields(field_texts(listing, max_chars)[0])


# For each pattern (by ``id``), the names of the fields it may match, in field order; None: every pattern, every
# field.
Candidates = Mapping[int, list[str]] | None


def pattern_candidates(index: PatternIndex, fields: dict[str, NormalizedText]) -> dict[int, list[str]]:
    """For each pattern of ``index`` (by ``id``) that may match a field (its clues are there), those fields."""
    where: dict[int, list[str]] = {}
    for name, text in fields.items():
        for key in index.candidates(text.text):
            where.setdefault(key, []).append(name)
    return where


def rule_candidates(rules: Rules, fields: dict[str, NormalizedText]) -> dict[int, list[str]]:
    """The fields each product, signal and claim pattern may match."""
    return pattern_candidates(rules.pattern_index, fields)


def find_all(pattern: re.Pattern[str], field: str, text: NormalizedText) -> list[Match]:
    return [Match(field, m.start(), m.end(), text.original_span(m.start(), m.end()))
            for m in pattern.finditer(text.text) if m.end() > m.start()]


def _fields_for(pattern: re.Pattern[str], rule_fields: Collection[str] | None, fields: dict[str, NormalizedText],
                candidates: Candidates) -> list[tuple[str, NormalizedText]]:
    """The fields (of ``rule_fields``, default all), in order, whose text ``pattern`` may match; call it only for
    a pattern in ``candidates`` (most patterns are not: the callers skip them first, cheaply)."""
    names = fields if candidates is None else candidates[id(pattern)]
    return [(name, fields[name]) for name in names if rule_fields is None or name in rule_fields]


@dataclass(frozen=True)
class ProductHit:
    product: ProductRule
    specificity: str
    match: Match


# A seller's legal name says who sells, not what is sold ("ООО «Восточный Бальзам»" sells no balm per se).
PRODUCT_FIELDS = tuple(f for f in TEXT_FIELDS if f != "seller_legal_name")


def find_products(rules: Rules, fields: dict[str, NormalizedText], candidates: Candidates = None) -> list[ProductHit]:
    """Every product variant found (not in the seller's legal name); a generic hit inside a specific one
    ("кымдан" in "кымдан-2") is dropped."""
    hits = []
    for product in rules.products:
        for specificity, pattern in product.patterns.items():
            if candidates is not None and id(pattern) not in candidates:
                continue
            for name, text in _fields_for(pattern, PRODUCT_FIELDS, fields, candidates):
                hits.extend(ProductHit(product, specificity, m) for m in find_all(pattern, name, text))
    return _drop_contained(hits, key=lambda h: h.match)


def _drop_contained(hits: list, key) -> list:
    """Drop hits whose span lies inside a longer hit in the same field (hits of the same span are all kept);
    the others in their order. One sort and one sweep: O(n log n)."""
    if len(hits) < 2:
        return list(hits)
    spans = {(m.field, m.start, m.end) for m in map(key, hits)}
    contained = set()
    reach: dict[str, int] = {}  # per field, the furthest end of the spans starting before (or longer at) this one
    # by start, the longer span first: every span that can hold this one comes before it
    for field, start, end in sorted(spans, key=lambda s: (s[0], s[1], -s[2])):
        if reach.get(field, -1) >= end:
            contained.add((field, start, end))  # a span before it starts no later, ends no earlier, is not it
        reach[field] = max(reach.get(field, -1), end)
    if not contained:
        return list(hits)
    return [h for h in hits if ((m := key(h)).field, m.start, m.end) not in contained]


@dataclass(frozen=True)
class SignalHit:
    signal: SignalRule
    match: Match


def find_signals(signals: tuple[SignalRule, ...], fields: dict[str, NormalizedText],
                 exclude: list[Match] = (), candidates: Candidates = None) -> list[SignalHit]:
    """Signals found in the fields each signal applies to, except inside the ``exclude`` spans (product names)."""
    hits = []
    excluded = SpanIndex(exclude)
    for signal in signals:
        if candidates is not None and id(signal.pattern) not in candidates:
            continue
        for name, text in _fields_for(signal.pattern, signal.fields, fields, candidates):
            for m in find_all(signal.pattern, name, text):
                if not excluded.overlaps(m):
                    hits.append(SignalHit(signal, m))
    return hits


class SpanIndex:
    """Spans per field merged into sorted disjoint intervals: whether a match overlaps one is a binary search."""

    def __init__(self, spans: Iterable[Match]):
        by_field: dict[str, list[tuple[int, int]]] = {}
        for s in spans:
            if s.end > s.start:
                by_field.setdefault(s.field, []).append((s.start, s.end))
        self._starts: dict[str, list[int]] = {}
        self._ends: dict[str, list[int]] = {}
        for field, intervals in by_field.items():
            starts, ends = self._starts[field], self._ends[field] = [], []
            for start, end in sorted(intervals):
                if ends and start < ends[-1]:  # overlaps the one before (touching spans stay apart)
                    ends[-1] = max(ends[-1], end)
                else:
                    starts.append(start)
                    ends.append(end)

    def overlaps(self, m: Match) -> bool:
        """Whether ``m`` shares a character with a span of its field."""
        starts = self._starts.get(m.field)
        if not starts:
            return False
        i = bisect_left(starts, m.end) - 1  # the last interval starting before m ends
        return i >= 0 and self._ends[m.field][i] > m.start


@dataclass(frozen=True)
class ClaimHit:
    claim: ClaimRule
    match: Match


CLAIM_FIELDS = ("title", "description", "characteristics")


def find_claims(rules: Rules, fields: dict[str, NormalizedText], candidates: Candidates = None) -> list[ClaimHit]:
    """Claims in title, description and characteristics; a hit inside another category's longer hit is dropped
    ("противопоказания" inside "нет противопоказаний")."""
    hits = []
    for claim in rules.claims:
        if candidates is not None and id(claim.pattern) not in candidates:
            continue
        for name, text in _fields_for(claim.pattern, CLAIM_FIELDS, fields, candidates):
            hits.extend(ClaimHit(claim, m) for m in find_all(claim.pattern, name, text))
    return _drop_contained(hits, key=lambda h: h.match)


def has_health_context(rules: Rules, fields: dict[str, NormalizedText], candidates: Candidates = None) -> bool:
    if rules.health_context is None:
        return True
    if candidates is not None and id(rules.health_context) not in candidates:
        return False
    return any(rules.health_context.search(t.text) for _, t in _fields_for(rules.health_context, None, fields,
                                                                            candidates))
