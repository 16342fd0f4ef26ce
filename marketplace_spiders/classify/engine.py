"""`classify_listing`: one listing's text in, products, origin signals, claims, entities and a verdict out."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from marketplace_spiders.classify.entities import EntityMatcher, SanctionedParty, match_entities
from marketplace_spiders.classify.matching import (
    ClaimHit,
    ProductHit,
    SignalHit,
    find_claims,
    find_products,
    find_signals,
    has_health_context,
    listing_fields,
    rule_candidates,
)
from marketplace_spiders.classify.rules import Rules, default_rules
from marketplace_spiders.classify.verdict import Evidence, decide

PASSTHROUGH_FIELDS = ("marketplace", "product_id")


class Classifier:
    """Compiled rules plus an entity matcher (with any imported sanctions entries); reuse it for many listings."""

    def __init__(self, rules: Rules | None = None, sanctioned_parties: Iterable[SanctionedParty] = ()):
        self.rules = rules or default_rules()
        self.matcher = EntityMatcher(self.rules.entities, sanctioned_parties)

    @property
    def version(self) -> str:
        return self.rules.version

    def evidence(self, listing: Mapping[str, object]) -> Evidence:
        fields = listing_fields(listing)
        candidates = rule_candidates(self.rules, fields)
        products = find_products(self.rules, fields, candidates)
        product_spans = [h.match for h in products]
        return Evidence(
            products=products,
            signals=find_signals(self.rules.signals, fields, exclude=product_spans, candidates=candidates),
            counter_signals=find_signals(self.rules.counter_signals, fields, candidates=candidates),
            claims=find_claims(self.rules, fields, candidates),
            entities=match_entities(self.matcher, listing, fields),
            health_context=has_health_context(self.rules, fields, candidates),
        )

    def classify(self, listing: Mapping[str, object]) -> dict:
        """The classification of one listing (see ``classify_listing``)."""
        evidence = self.evidence(listing)
        verdict = decide(evidence)
        result = {k: listing.get(k) for k in PASSTHROUGH_FIELDS if k in listing}
        result.update({
            "verdict": verdict.verdict,
            "reasons": verdict.reasons,
            "products": _products(evidence.products),
            "origin_signals": _signals(evidence.signals),
            "counter_signals": _signals(evidence.counter_signals),
            "claims": _claims(evidence.claims),
            "entities": evidence.entities,
            "classifier_version": self.version,
        })
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

    Returns marketplace and product_id (when given), ``verdict`` (strong | possible | unrelated), ``reasons``,
    ``products``, ``origin_signals``, ``counter_signals``, ``claims`` (category, text, illegal_for_bad, field),
    ``entities`` and ``classifier_version``.
    """
    global _default_classifier
    if _default_classifier is None:
        _default_classifier = Classifier()
    return _default_classifier.classify(listing)
