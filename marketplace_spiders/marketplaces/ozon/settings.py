"""The Ozon spider's settings (``OZON_*``): the fields every browser marketplace has, under its prefix."""

from __future__ import annotations

from dataclasses import dataclass

from marketplace_spiders.spiders.browser_marketplace import BrowserMarketplaceConfig

__all__ = ["OzonConfig"]


@dataclass(frozen=True)
class OzonConfig(BrowserMarketplaceConfig, prefix="OZON_"):
    """Ozon (marketplace_spiders/marketplaces/ozon)."""
