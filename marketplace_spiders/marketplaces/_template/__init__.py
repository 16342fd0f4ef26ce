"""TEMPLATE of a marketplace folder: copy this folder to ``marketplaces/<slug>/`` (CONTRIBUTING.md, "Adding a
marketplace"). The slug is the folder's name; the registry skips folders whose name starts with ``_``."""

from __future__ import annotations

from pathlib import Path

from marketplace_spiders.marketplaces.descriptor import Marketplace

from .blocks import BLOCK_KINDS

FOLDER = Path(__file__).resolve().parent
SLUG = FOLDER.name

# Checked by validation.assess_run (keys documented in spiders/base.py). Set them from what the bundled
# timeline runs give, with a margin (see the other marketplaces' descriptors).
EXPECTATIONS = {"min_items": 1, "max_items": 100_000, "min_search_hit_share": 0.5}

MARKETPLACE = Marketplace(
    slug=SLUG,
    title="Template marketplace",  # TODO: the marketplace's name as users write it
    folder=FOLDER,
    spiders=(f"{__name__}.spider:TemplateSpider",),
    transport="http",  # or "browser": subclass spiders.browser_marketplace.BrowserMarketplaceSpider instead
    settings=f"{__name__}.settings:TemplateConfig",
    block_kinds=BLOCK_KINDS,
    expectations=EXPECTATIONS,
    fuzz=f"{__name__}.fuzz",
)
