"""The classifier's rules, read from the TOML data files in ``marketplace_spiders/data``.

``load_rules()`` reads ``products.toml``, ``origin_signals.toml``, ``claims.toml`` and ``entities.toml`` and
compiles their variants into patterns. Adding a product, a signal, a claim or an entity is a data edit.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path

from marketplace_spiders.classify.normalize import normalize_text
from marketplace_spiders.classify.patterns import (
    Clues,
    PatternIndex,
    compile_any,
    stem_literals,
    stem_regex,
    variant_literals,
    variant_regex,
    word_literals,
    word_regex,
)

DATA_PACKAGE = "marketplace_spiders.data"
DATA_FILES = ("products.toml", "origin_signals.toml", "claims.toml", "entities.toml")
STRENGTH_POINTS = {"strong": 3, "medium": 2, "weak": 1}
# Rule classes of a product variant, from most to least specific.
SPECIFIC, AMBIGUOUS, GENERIC = "dprk_specific", "ambiguous", "generic"


@dataclass(frozen=True)
class ProductRule:
    """A product and the compiled patterns of its variants, per specificity (with their clues, see
    ``patterns.PatternIndex``)."""

    id: str
    name: str
    patterns: dict[str, re.Pattern[str]]
    clues: dict[str, Clues] = field(default_factory=dict)


@dataclass(frozen=True)
class SignalRule:
    """A DPRK-origin signal (or a counter-signal when ``counter_country`` is set)."""

    id: str
    kind: str
    strength: str
    pattern: re.Pattern[str]
    fields: frozenset[str] | None
    counter_country: str | None = None
    clues: Clues = Clues()

    @property
    def points(self) -> int:
        return STRENGTH_POINTS.get(self.strength, 0)


@dataclass(frozen=True)
class ClaimRule:
    """A claim category and its compiled stems and words."""

    category: str
    label: str
    illegal_for_bad: bool
    pattern: re.Pattern[str]
    clues: Clues = Clues()


@dataclass(frozen=True)
class EntityRule:
    """A known entity: names in every script, identifiers and sanctions references."""

    id: str
    name: str
    aliases: tuple[str, ...]
    evidence: str
    country: str | None = None
    inn: tuple[str, ...] = ()
    ogrn: tuple[str, ...] = ()
    un_reference: str | None = None
    ofac_ent_num: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class Rules:
    """Everything the classifier matches, compiled."""

    products: tuple[ProductRule, ...]
    signals: tuple[SignalRule, ...]
    counter_signals: tuple[SignalRule, ...]
    claims: tuple[ClaimRule, ...]
    entities: tuple[EntityRule, ...]
    health_context: re.Pattern[str] | None
    version: str = field(default="")
    health_context_clues: Clues = Clues()

    @cached_property
    def pattern_index(self) -> PatternIndex:
        """Which product, signal, claim and health-context patterns may match a text (``patterns.PatternIndex``)."""
        clues = [(pattern, product.clues.get(specificity, Clues()))
                 for product in self.products for specificity, pattern in product.patterns.items()]
        clues += [(rule.pattern, rule.clues) for rule in (*self.signals, *self.counter_signals, *self.claims)]
        if self.health_context is not None:
            clues.append((self.health_context, self.health_context_clues))
        return PatternIndex(clues)


def _read_toml(data_dir: Path | None, name: str) -> tuple[dict, bytes]:
    if data_dir is not None:
        raw = (data_dir / name).read_bytes()
    else:
        raw = (resources.files(DATA_PACKAGE) / name).read_bytes()
    return tomllib.loads(raw.decode("utf-8")), raw


def _product_rule(entry: dict) -> ProductRule:
    patterns, clues = {}, {}
    for key, specificity in (("variants", SPECIFIC), ("ambiguous_variants", AMBIGUOUS), ("generic_variants", GENERIC)):
        regexes = [variant_regex(v, allow_inflection=False) for v in entry.get(key, [])]
        compiled = compile_any(regexes)
        if compiled is not None:
            patterns[specificity] = compiled
            clues[specificity] = Clues(tuple(variant_literals(v) for v in entry.get(key, [])))
    return ProductRule(entry["id"], entry.get("name", entry["id"]), patterns, clues)


def _signal_rule(entry: dict, counter: bool) -> SignalRule:
    regexes = [variant_regex(p) for p in entry.get("phrases", [])] + list(entry.get("regex", []))
    pattern = compile_any(regexes)
    if pattern is None:
        raise ValueError(f"signal {entry['id']} has no phrases or regex")
    fields = frozenset(entry["fields"]) if "fields" in entry else None
    clues = Clues(tuple(variant_literals(p) for p in entry.get("phrases", [])), tuple(entry.get("regex", [])))
    return SignalRule(entry["id"], entry.get("kind", "counter" if counter else "text"), entry.get("strength", "none"),
                      pattern, fields, entry.get("country") if counter else None, clues)


def _claim_rule(entry: dict) -> ClaimRule:
    regexes = [stem_regex(s) for s in entry.get("stems", [])] + [word_regex(w) for w in entry.get("words", [])]
    pattern = compile_any(regexes)
    if pattern is None:
        raise ValueError(f"claim {entry['category']} has no stems or words")
    clues = Clues(tuple(stem_literals(s) for s in entry.get("stems", []))
                  + tuple(word_literals(w) for w in entry.get("words", [])))
    return ClaimRule(entry["category"], entry.get("label", entry["category"]), bool(entry.get("illegal_for_bad")),
                     pattern, clues)


def _as_tuple(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    return (str(value),)


def _entity_rule(entry: dict) -> EntityRule:
    return EntityRule(
        id=entry["id"], name=entry["name"], aliases=_as_tuple(entry.get("aliases")),
        evidence=entry.get("evidence", "strong"), country=entry.get("country"), inn=_as_tuple(entry.get("inn")),
        ogrn=_as_tuple(entry.get("ogrn")), un_reference=entry.get("un_reference"),
        ofac_ent_num=str(entry["ofac_ent_num"]) if entry.get("ofac_ent_num") else None,
    )


def _health_context(products: dict) -> tuple[re.Pattern[str] | None, Clues]:
    words = [normalize_text(w) for w in products.get("health_context", {}).get("words", [])]
    return (compile_any([variant_regex(w, allow_inflection=True) for w in words]),
            Clues(tuple(variant_literals(w) for w in words)))


def load_rules(data_dir: Path | None = None) -> Rules:
    """Read and compile the four data files (from ``data_dir``, default the packaged ones)."""
    loaded = {name: _read_toml(data_dir, name) for name in DATA_FILES}
    digest = hashlib.sha256(b"".join(raw for _, raw in loaded.values())).hexdigest()[:12]
    products, signals, claims, entities = (loaded[name][0] for name in DATA_FILES)
    health_context, health_context_clues = _health_context(products)
    return Rules(
        products=tuple(_product_rule(e) for e in products.get("product", [])),
        signals=tuple(_signal_rule(e, counter=False) for e in signals.get("signal", [])),
        counter_signals=tuple(_signal_rule(e, counter=True) for e in signals.get("counter_signal", [])),
        claims=tuple(_claim_rule(e) for e in claims.get("claim", [])),
        entities=tuple(_entity_rule(e) for e in entities.get("entity", [])),
        health_context=health_context,
        version=digest,
        health_context_clues=health_context_clues,
    )


@lru_cache(maxsize=1)
def default_rules() -> Rules:
    """The packaged rules, compiled once per process."""
    return load_rules()
