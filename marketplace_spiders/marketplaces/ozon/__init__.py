"""Ozon: search and product pages (composer JSON) loaded in a real browser, seller legal details (README.md)."""

from __future__ import annotations

from pathlib import Path

from marketplace_spiders.marketplaces.descriptor import Marketplace
from marketplace_spiders.marketplaces.ozon.blocks import BLOCK_KINDS

# Checked by validation.assess_run (keys documented in spiders/base.py). The bundled timeline runs give
# 12 rows, every listing priced and with a seller, 67 % of search pages with hits.
EXPECTATIONS = {"min_items": 2, "max_items": 100_000, "min_priced_share": 0.8,
                "min_search_hit_share": 0.5, "min_seller_share": 0.9}

MARKETPLACE = Marketplace(
    slug="ozon",
    title="Ozon",
    folder=Path(__file__).resolve().parent,
    spiders=("marketplace_spiders.marketplaces.ozon.spider:OzonSpider",),
    transport="browser",
    settings="marketplace_spiders.marketplaces.ozon.settings:OzonConfig",
    block_kinds=BLOCK_KINDS,
    expectations=EXPECTATIONS,
    fuzz="marketplace_spiders.marketplaces.ozon.fuzz",
    position=20,
)
