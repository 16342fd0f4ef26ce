"""The verdict rules: `strong`, `possible` or `unrelated`, each with the reasons that decided it.

Origin points: each distinct DPRK-origin signal adds its strength (strong 3, medium 2, weak 1).

strong
  - a DPRK-specific product name (Кымдан-2, Royal Blood-Fresh, Нео-Виагра, …), or
  - an ambiguous product name (Кэсонский женьшень, 安宫牛黄丸, …) with origin points >= 2, or
  - a generic word (кордицепс, панты, женьшень, …) with origin points >= 3, or
  - a health product (any product word, claim or health word) with origin points >= 3, or
  - a match with a DPRK entity (entities.toml evidence "strong", or a DPRK-related sanctions entry), by
    INN/OGRN, verbatim alias or a fuzzy score >= 93
possible
  - an ambiguous product name without a DPRK signal and without a non-DPRK country of origin, or with
    origin points 1, or
  - a generic word or health product with origin points 2 (e.g. «Чосон», 평양, 고려약), or
  - a weaker match (fuzzy 88–93) with a DPRK entity, or any match with an entity whose evidence is
    "possible" (a press-reported importer) on a health product
unrelated
  - everything else. «Корея» alone is never a DPRK signal, South Korean and Chinese counter-signals keep an
    ambiguous name from counting, and generic words need a DPRK signal.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from marketplace_spiders.classify.entities import STRONG_SCORE
from marketplace_spiders.classify.matching import ClaimHit, ProductHit, SignalHit
from marketplace_spiders.classify.rules import AMBIGUOUS, GENERIC, SPECIFIC

STRONG, POSSIBLE, UNRELATED = "strong", "possible", "unrelated"
VERDICT_RANK = {UNRELATED: 0, POSSIBLE: 1, STRONG: 2}


@dataclass
class Evidence:
    """Everything found in one listing, as the verdict rules need it."""

    products: list[ProductHit]
    signals: list[SignalHit]
    counter_signals: list[SignalHit]
    claims: list[ClaimHit]
    entities: list[dict]
    health_context: bool

    @property
    def origin_points(self) -> int:
        return sum({h.signal.id: h.signal.points for h in self.signals}.values())

    def products_of(self, specificity: str) -> list[ProductHit]:
        return [h for h in self.products if h.specificity == specificity]

    @property
    def is_health_product(self) -> bool:
        return bool(self.products or self.claims or self.health_context)

    @property
    def non_dprk_countries(self) -> set[str]:
        return {h.signal.counter_country for h in self.counter_signals if h.signal.counter_country != "KR?"}


@dataclass
class Verdict:
    verdict: str = UNRELATED
    reasons: list[str] = field(default_factory=list)

    def raise_to(self, verdict: str, reason: str) -> None:
        self.reasons.append(f"{verdict}: {reason}")
        if VERDICT_RANK[verdict] > VERDICT_RANK[self.verdict]:
            self.verdict = verdict


def _names(hits: list[ProductHit]) -> str:
    return ", ".join(sorted({f"{h.product.name} ({h.match.text!r})" for h in hits}))


def _signal_summary(evidence: Evidence) -> str:
    parts = sorted({f"{h.signal.id}={h.match.text!r}" for h in evidence.signals})
    return f"origin points {evidence.origin_points} [{'; '.join(parts)}]"


def _product_rules(evidence: Evidence, verdict: Verdict) -> None:
    points = evidence.origin_points
    specific = evidence.products_of(SPECIFIC)
    if specific:
        verdict.raise_to(STRONG, f"DPRK-specific product name: {_names(specific)}")
    ambiguous = evidence.products_of(AMBIGUOUS)
    if ambiguous:
        if points >= 2:
            verdict.raise_to(STRONG, f"ambiguous product name {_names(ambiguous)} with {_signal_summary(evidence)}")
        elif points >= 1 or not evidence.non_dprk_countries:
            verdict.raise_to(POSSIBLE, f"ambiguous product name {_names(ambiguous)} without a strong DPRK signal")
        else:
            countries = ", ".join(sorted(evidence.non_dprk_countries))
            verdict.reasons.append(f"unrelated: ambiguous product name {_names(ambiguous)} from {countries}")
    # A product already named specifically (Кымдан-2) is not also reported as its bare generic word (Кымдан).
    named = {h.product.id for h in specific + ambiguous}
    generic = [h for h in evidence.products_of(GENERIC) if h.product.id not in named]
    if generic and points == 0:
        verdict.reasons.append(f"unrelated: generic word(s) {_names(generic)} without a DPRK origin signal")


def _origin_rules(evidence: Evidence, verdict: Verdict) -> None:
    points = evidence.origin_points
    if points == 0:
        return
    if not evidence.is_health_product:
        verdict.reasons.append(f"unrelated: {_signal_summary(evidence)} but no health product")
        return
    if points >= 3:
        verdict.raise_to(STRONG, f"health product with {_signal_summary(evidence)}")
    elif points == 2:
        verdict.raise_to(POSSIBLE, f"health product with {_signal_summary(evidence)}")
    else:
        verdict.reasons.append(f"weak DPRK signal only: {_signal_summary(evidence)}")


def _entity_rules(evidence: Evidence, verdict: Verdict) -> None:
    for row in evidence.entities:
        described = (f"{row['name']} ({row['source']}) in {row['field']}: {row['text']!r}, "
                     f"{row['method']} {row['score']}")
        if row["evidence"] == "strong":
            level = STRONG if row["score"] >= STRONG_SCORE else POSSIBLE
            verdict.raise_to(level, f"DPRK entity {described}")
        elif row["evidence"] == "possible" and evidence.is_health_product:
            verdict.raise_to(POSSIBLE, f"press-reported importer {described}")
        elif row["sanctioned"]:
            verdict.reasons.append(f"note: sanctions-list entity (not DPRK-related) {described}")


def decide(evidence: Evidence) -> Verdict:
    """The verdict for one listing's evidence (rules in the module docstring)."""
    verdict = Verdict()
    _product_rules(evidence, verdict)
    _origin_rules(evidence, verdict)
    _entity_rules(evidence, verdict)
    if any(h.signal.id == "korea_ambiguous" for h in evidence.counter_signals):
        verdict.reasons.append("note: country «Корея» alone is ambiguous (usually South Korea); not counted")
    if not verdict.reasons:
        verdict.reasons.append("unrelated: no DPRK product, origin signal or entity found")
    return verdict
