"""Classification of listings: DPRK products, origin signals, health claims, entities and a verdict.

``classify_listing(dict) -> dict`` classifies one listing with the packaged rules (``marketplace_spiders/data``);
``Classifier`` does the same with given rules and imported sanctions entries; ``history.update_classifications``
stores classifications per text version in DuckDB; ``sanctions`` imports official sanctions lists.
"""

from marketplace_spiders.classify.engine import Classifier, classify_listing
from marketplace_spiders.classify.normalize import normalize, normalize_text
from marketplace_spiders.classify.rules import load_rules

__all__ = ["Classifier", "classify_listing", "load_rules", "normalize", "normalize_text"]
