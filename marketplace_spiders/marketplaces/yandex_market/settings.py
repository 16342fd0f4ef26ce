"""The Yandex Market spider's settings (``YANDEX_MARKET_*``)."""

from __future__ import annotations

from dataclasses import dataclass

from marketplace_spiders.config import at_least, setting
from marketplace_spiders.spiders.browser_marketplace import BrowserMarketplaceConfig

__all__ = ["YandexMarketConfig"]


@dataclass(frozen=True)
class YandexMarketConfig(BrowserMarketplaceConfig, prefix="YANDEX_MARKET_"):
    """Yandex Market (marketplace_spiders/marketplaces/yandex_market)."""

    hollow_retries: int = setting(2, "retries of a 'hollow shell' product page (its collections empty) before "
                                     "it is recorded as a failed fetch", check=at_least(0))
