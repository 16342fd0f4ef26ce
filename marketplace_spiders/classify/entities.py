"""Match seller legal names, manufacturers and brands against known entities and imported sanctions lists.

Names are compared after normalisation and after dropping legal forms (ООО, LLC, Co., …) with rapidfuzz's
``token_sort_ratio`` (0–100, word order ignored); INN and OGRN are compared exactly. Aliases of the
entities in ``entities.toml`` are also looked for verbatim in the listing's text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process

from marketplace_spiders.classify.matching import find_all, pattern_candidates
from marketplace_spiders.classify.normalize import NormalizedText, normalize_text
from marketplace_spiders.classify.patterns import Clues, PatternIndex, variant_literals, variant_regex
from marketplace_spiders.classify.rules import EntityRule

NAME_FIELDS = ("seller_legal_name", "manufacturer", "brand")
RECORD_SCORE = 88.0  # fuzzy matches below this are not recorded
STRONG_SCORE = 93.0  # fuzzy matches at or above this count as the entity itself
MIN_NAME_LENGTH = 4
LEGAL_FORMS = (
    "общество с ограниченной ответственностью", "индивидуальный предприниматель", "акционерное общество",
    "ооо", "оао", "зао", "пао", "ао", "ип", "тоо", "llc", "ltd", "limited", "co", "inc", "jsc", "pjsc", "gmbh",
    "company", "corp", "corporation", "корпорация", "компания",
)
LEGAL_FORM_PATTERN = re.compile(r"(?<![^\W_])(?:" + "|".join(re.escape(f) for f in LEGAL_FORMS) + r")(?![^\W_])")
PUNCTUATION = re.compile(r"[\"'«»“”„()\[\],.;:!?/\\&-]+")


@dataclass(frozen=True)
class SanctionedParty:
    """One imported sanctions-list entry, with all its names."""

    list_source: str  # ofac_sdn | un_1718 | opensanctions
    source_id: str
    name: str
    aliases: tuple[str, ...]
    dprk_related: bool
    un_reference: str | None = None
    ofac_ent_num: str | None = None
    programs: str | None = None


@dataclass(frozen=True)
class Candidate:
    """A name to match against, and what it belongs to."""

    key: str
    name: str
    source: str
    evidence: str
    sanctioned: bool
    un_reference: str | None
    ofac_ent_num: str | None


# Names up to this long are cached (the same brands, makers and sellers come back on every run); a longer
# "name" (a description pasted into the maker field) is reduced each time, so the caches stay small.
CACHED_NAME_CHARS = 300


def clean_name(name: str | None) -> str:
    """A name reduced for comparison: normalised, without legal forms, quotes and punctuation."""
    if name is not None and len(name) > CACHED_NAME_CHARS:
        return _clean_name(name)
    return _clean_short_name(name)


@lru_cache(maxsize=8192)
def _clean_short_name(name: str | None) -> str:
    return _clean_name(name)


def _clean_name(name: str | None) -> str:
    text = normalize_text(name)
    text = PUNCTUATION.sub(" ", text)
    text = LEGAL_FORM_PATTERN.sub(" ", text)
    return " ".join(text.split())


def _toml_candidates(entities: Iterable[EntityRule]) -> list[tuple[str, Candidate]]:
    out = []
    for e in entities:
        sanctioned = bool(e.un_reference or e.ofac_ent_num)
        for name in e.names:
            out.append((clean_name(name), Candidate(e.id, e.name, "entities.toml", e.evidence, sanctioned,
                                                    e.un_reference, e.ofac_ent_num)))
    return out


def _list_candidates(parties: Iterable[SanctionedParty]) -> list[tuple[str, Candidate]]:
    out = []
    for p in parties:
        evidence = "strong" if p.dprk_related else "none"
        candidate = Candidate(f"{p.list_source}:{p.source_id}", p.name, p.list_source, evidence, True,
                              p.un_reference, p.ofac_ent_num)
        out.extend((clean_name(n), candidate) for n in (p.name, *p.aliases))
    return out


class EntityMatcher:
    """Matches names and identifiers against ``entities.toml`` and any imported sanctions entries."""

    def __init__(self, entities: Iterable[EntityRule], parties: Iterable[SanctionedParty] = ()):
        self.entities = tuple(entities)
        pairs = [(n, c) for n, c in _toml_candidates(self.entities) + _list_candidates(parties)
                 if len(n) >= MIN_NAME_LENGTH]
        self.names = [n for n, _ in pairs]
        self.candidates = [c for _, c in pairs]
        self.text_patterns = self._alias_patterns()
        self.alias_index = PatternIndex((pattern, Clues((variant_literals(name),)))
                                        for pattern, _, name in self.text_patterns)
        self._similar_names = lru_cache(maxsize=8192)(self._find_similar_names)

    def _alias_patterns(self) -> list[tuple[re.Pattern[str], Candidate, str]]:
        out = []
        for name, candidate in zip(self.names, self.candidates, strict=True):
            if candidate.source != "entities.toml" or not _distinctive(name):
                continue
            out.append((re.compile(variant_regex(name)), candidate, name))
        return out

    def match_name(self, field: str, value: str | None) -> list[dict]:
        """Fuzzy matches of one name field, best score per entity, best first."""
        cleaned = clean_name(value)
        if len(cleaned) < MIN_NAME_LENGTH or not self.names:
            return []
        best: dict[str, dict] = {}
        similar = self._find_similar_names if len(cleaned) > CACHED_NAME_CHARS else self._similar_names
        for matched_name, score, index in similar(cleaned):
            candidate = self.candidates[index]
            method = "exact" if score >= 100 else "fuzzy"
            row = _match_row(candidate, field, str(value), matched_name, float(score), method)
            if candidate.key not in best or best[candidate.key]["score"] < row["score"]:
                best[candidate.key] = row
        return sorted(best.values(), key=lambda r: -r["score"])

    def _find_similar_names(self, cleaned: str) -> tuple[tuple[str, float, int], ...]:
        """(name, score, index) of the names scoring at least ``RECORD_SCORE`` against ``cleaned``, best first."""
        return tuple(process.extract(cleaned, self.names, scorer=fuzz.token_sort_ratio, score_cutoff=RECORD_SCORE,
                                     limit=20))

    def match_text(self, fields: Mapping[str, NormalizedText]) -> list[dict]:
        """Entity aliases found verbatim (after normalisation) in any field."""
        rows = []
        candidates = pattern_candidates(self.alias_index, fields)  # the fields each alias may be in
        if not candidates:
            return rows
        for pattern, candidate, name in self.text_patterns:
            for field in candidates.get(id(pattern)) or ():
                for m in find_all(pattern, field, fields[field]):
                    rows.append(_match_row(candidate, field, m.text, name, 100.0, "alias_in_text"))
        return rows

    def match_identifiers(self, inn: str | None, ogrn: str | None) -> list[dict]:
        rows = []
        if not inn and not ogrn:
            return rows
        for e in self.entities:
            for kind, value, known in (("inn", inn, e.inn), ("ogrn", ogrn, e.ogrn)):
                if value and str(value).strip() in known:
                    candidate = Candidate(e.id, e.name, "entities.toml", e.evidence,
                                          bool(e.un_reference or e.ofac_ent_num), e.un_reference, e.ofac_ent_num)
                    rows.append(_match_row(candidate, f"seller_{kind}", str(value), str(value), 100.0, kind))
        return rows


def _distinctive(name: str) -> bool:
    """Long enough to look for inside free text without false hits."""
    if any("a" <= c <= "z" or "а" <= c <= "я" for c in name):
        return len(name) >= 5
    return len(name) >= 4


def _match_row(candidate: Candidate, field: str, text: str, matched_name: str, score: float, method: str) -> dict:
    return {
        "entity_id": candidate.key, "name": candidate.name, "source": candidate.source, "field": field,
        "text": text, "matched_name": matched_name, "score": round(score, 1), "method": method,
        "evidence": candidate.evidence, "sanctioned": candidate.sanctioned,
        "un_reference": candidate.un_reference, "ofac_ent_num": candidate.ofac_ent_num,
    }


def match_entities(matcher: EntityMatcher, listing: Mapping[str, object],
                   fields: Mapping[str, NormalizedText]) -> list[dict]:
    """All entity matches of a listing, one row per (entity, field), best score kept."""
    rows = []
    for field in NAME_FIELDS:
        value = listing.get(field)
        if value:
            rows.extend(matcher.match_name(field, str(value)))
    rows.extend(matcher.match_text(fields))
    rows.extend(matcher.match_identifiers(_text(listing.get("seller_inn")), _text(listing.get("seller_ogrn"))))
    best: dict[tuple[str, str], dict] = {}
    for row in rows:
        key = (row["entity_id"], row["field"])
        if key not in best or best[key]["score"] < row["score"]:
            best[key] = row
    return list(best.values())


def _text(value: object) -> str | None:
    return None if value is None else str(value)
