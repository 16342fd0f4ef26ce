"""Wildberries: search, card detail, basket card.json and seller documents over public JSON APIs (README.md)."""

from __future__ import annotations

from pathlib import Path

from marketplace_spiders.marketplaces.descriptor import Marketplace
from marketplace_spiders.marketplaces.wildberries.blocks import BLOCK_KINDS

# Checked by validation.assess_run (keys documented in spiders/base.py). The bundled timeline runs give
# 11-15 rows, 75-100 % priced (a sold-out WB card has no price), 67-100 % of search pages with hits and
# a seller on every listing.
EXPECTATIONS = {"min_items": 3, "max_items": 200_000, "min_priced_share": 0.5,
                "min_search_hit_share": 0.5, "min_seller_share": 0.9}

MARKETPLACE = Marketplace(
    slug="wildberries",
    title="Wildberries",
    folder=Path(__file__).resolve().parent,
    spiders=("marketplace_spiders.marketplaces.wildberries.spider:WildberriesSpider",),
    transport="http",
    settings="marketplace_spiders.marketplaces.wildberries.settings:WildberriesConfig",
    block_kinds=BLOCK_KINDS,
    expectations=EXPECTATIONS,
    fuzz="marketplace_spiders.marketplaces.wildberries.fuzz",
    position=10,
)
