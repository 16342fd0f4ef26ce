"""Yandex Market: server-rendered search and product pages loaded in a real browser (README.md)."""

from __future__ import annotations

from pathlib import Path

from marketplace_spiders.marketplaces.descriptor import Marketplace
from marketplace_spiders.marketplaces.yandex_market.blocks import BLOCK_KINDS

# Checked by validation.assess_run (keys documented in spiders/base.py). The bundled timeline runs give
# 8-12 rows, every listing priced and with a seller, every search page with hits.
EXPECTATIONS = {"min_items": 2, "max_items": 100_000, "min_priced_share": 0.8,
                "min_search_hit_share": 0.5, "min_seller_share": 0.8}

MARKETPLACE = Marketplace(
    slug="yandex_market",
    title="Yandex Market",
    folder=Path(__file__).resolve().parent,
    spiders=("marketplace_spiders.marketplaces.yandex_market.spider:YandexMarketSpider",),
    transport="browser",
    settings="marketplace_spiders.marketplaces.yandex_market.settings:YandexMarketConfig",
    block_kinds=BLOCK_KINDS,
    expectations=EXPECTATIONS,
    fuzz="marketplace_spiders.marketplaces.yandex_market.fuzz",
    position=30,
)
