"""`classify_listing`: one listing's text in, products, origin signals, claims, entities and a verdict out."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from marketplace_spiders.classify.entities import EntityMatcher, SanctionedParty, match_entities
from marketplace_spiders.classify.matching import (
    ClaimHit,
    ProductHit,
    SignalHit,
    field_texts,
    find_claims,
    find_products,
    find_signals,
    has_health_context,
    normalized_fields,
    rule_candidates,
)
from marketplace_spiders.classify.rules import Rules, default_rules
from marketplace_spiders.classify.verdict import Evidence, decide
from marketplace_spiders.config import SettingsGroup, at_least, setting

PASSTHROUGH_FIELDS = ("marketplace", "product_id")
ERROR = "error"  # the verdict of a listing that could not be classified (the reason says why)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClassifierLimits(SettingsGroup, prefix="CLASSIFY_"):
    """Classifier limits (marketplace_spiders.classify.engine; read from the environment, since the classifier
    also runs in the ingest child)."""

    # ~40 times the longest description of the labelled sets
    max_field_chars: int = setting(100_000, "characters of each field classified (the rest is not read; the "
                                   "reasons say so): a 200 MB description must not hold up a run",
                                   env="CLASSIFY_MAX_FIELD_CHARS", check=at_least(1))
    max_hits: int = setting(200_000, "matches (products, signals, claims, entity aliases) one listing may have "
                            "before it is given up as an error", env="CLASSIFY_MAX_HITS", check=at_least(1))


_LIMITS = ClassifierLimits.from_settings(None)
MAX_FIELD_CHARS = _LIMITS.max_field_chars
MAX_HITS = _LIMITS.max_hits


class OverBudget(Exception):
    """A listing with more matches than the classifier's ``max_hits``."""


class Classifier:
    """Compiled rules plus an entity matcher (with any imported sanctions entries); reuse it for many listings.

    ``max_field_chars`` (default ``CLASSIFY_MAX_FIELD_CHARS``, 100,000) caps the characters of each field
    classified; ``max_hits`` (default ``CLASSIFY_MAX_HITS``, 200,000) the matches of one listing. A listing over
    ``max_hits``, or one whose classification raises, gets the verdict ``error`` with the reason, and the next
    listing is classified as usual."""

    def __init__(self, rules: Rules | None = None, sanctioned_parties: Iterable[SanctionedParty] = (),
                 max_field_chars: int | None = None, max_hits: int | None = None):
        self.rules = rules or default_rules()
        self.matcher = EntityMatcher(self.rules.entities, sanctioned_parties)
        self.max_field_chars = MAX_FIELD_CHARS if max_field_chars is None else max_field_chars
        self.max_hits = MAX_HITS if max_hits is None else max_hits

    @property
    def version(self) -> str:
        return self.rules.version

    def evidence(self, listing: Mapping[str, object], truncated: dict[str, int] | None = None) -> Evidence:
        """What the listing's text holds; ``truncated`` (if given) gets the length before the cut of each field
        longer than ``max_field_chars``. Raises ``OverBudget`` past ``max_hits`` matches."""
        texts, cut = field_texts(listing, self.max_field_chars)
        if truncated is not None:
            truncated.update(cut)
        if cut:  # names are matched on the text classified too
            listing = {**listing, **{name: texts[name] for name in cut}}
        fields = normalized_fields(texts)
        candidates = rule_candidates(self.rules, fields)
        hits = 0

        def counted(found: list) -> list:
            nonlocal hits
            hits += len(found)
            if hits > self.max_hits:
                raise OverBudget(f"more than {self.max_hits} matches (CLASSIFY_MAX_HITS)")
            return found

        products = counted(find_products(self.rules, fields, candidates))
        product_spans = [h.match for h in products]
        return Evidence(
            products=products,
            signals=counted(find_signals(self.rules.signals, fields, exclude=product_spans, candidates=candidates)),
            counter_signals=counted(find_signals(self.rules.counter_signals, fields, candidates=candidates)),
            claims=counted(find_claims(self.rules, fields, candidates)),
            entities=counted(match_entities(self.matcher, listing, fields)),
            health_context=has_health_context(self.rules, fields, candidates),
        )

    def classify(self, listing: Mapping[str, object]) -> dict:
        """The classification of one listing (see ``classify_listing``); verdict ``error`` (with the reason)
        when it cannot be classified."""
        result = {k: listing.get(k) for k in PASSTHROUGH_FIELDS if k in listing}
        truncated: dict[str, int] = {}
        try:
            evidence = self.evidence(listing, truncated)
            verdict = decide(evidence)
        except Exception as exc:  # one bad listing must not stop the others
            if not isinstance(exc, OverBudget):
                log.exception("cannot classify listing %s", result or "(no id)")
            result.update({"verdict": ERROR, "reasons": [f"error: {type(exc).__name__}: {exc}"], "products": [],
                           "origin_signals": [], "counter_signals": [], "claims": [], "entities": [],
                           "classifier_version": self.version})
            return result
        reasons = verdict.reasons + [
            f"note: {name} truncated: only the first {self.max_field_chars} of its {length} characters classified "
            f"(CLASSIFY_MAX_FIELD_CHARS)" for name, length in truncated.items()]
        result.update({
            "verdict": verdict.verdict,
            "reasons": reasons,
            "products": _products(evidence.products),
            "origin_signals": _signals(evidence.signals),
            "counter_signals": _signals(evidence.counter_signals),
            "claims": _claims(evidence.claims),
            "entities": evidence.entities,
            "classifier_version": self.version,
        })
        if truncated:
            result["truncated"] = dict(truncated)
        return result


def _products(hits: list[ProductHit]) -> list[dict]:
    rows = {}
    for h in hits:
        key = (h.product.id, h.specificity, h.match.field, h.match.text)
        rows[key] = {"id": h.product.id, "name": h.product.name, "specificity": h.specificity,
                     "field": h.match.field, "text": h.match.text}
    return list(rows.values())


def _signals(hits: list[SignalHit]) -> list[dict]:
    rows = {}
    for h in hits:
        key = (h.signal.id, h.match.field, h.match.text)
        rows[key] = {"id": h.signal.id, "kind": h.signal.kind, "strength": h.signal.strength,
                     "field": h.match.field, "text": h.match.text}
        if h.signal.counter_country:
            rows[key]["country"] = h.signal.counter_country
    return list(rows.values())


def _claims(hits: list[ClaimHit]) -> list[dict]:
    rows = {}
    for h in hits:
        key = (h.claim.category, h.match.field, h.match.text.lower())
        rows.setdefault(key, {"category": h.claim.category, "text": h.match.text,
                              "illegal_for_bad": h.claim.illegal_for_bad, "field": h.match.field})
    return list(rows.values())


_default_classifier: Classifier | None = None


def classify_listing(listing: Mapping[str, object]) -> dict:
    """Classify one listing dict (title, description, characteristics, country_of_origin, manufacturer, brand,
    seller_legal_name, optional seller_inn / seller_ogrn; any may be missing) with the packaged rules.

    Returns marketplace and product_id (when given), ``verdict`` (strong | possible | unrelated, or error when
    the listing could not be classified), ``reasons``, ``products``, ``origin_signals``, ``counter_signals``,
    ``claims`` (category, text, illegal_for_bad, field), ``entities``, ``classifier_version`` and, only when a
    field was longer than ``CLASSIFY_MAX_FIELD_CHARS``, ``truncated`` (field -> its length before the cut).
    """
    global _default_classifier
    if _default_classifier is None:
        _default_classifier = Classifier()
    return _default_classifier.classify(listing)
