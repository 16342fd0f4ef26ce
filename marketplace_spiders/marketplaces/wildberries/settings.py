"""The Wildberries spider's settings (``WB_*``), each a Scrapy setting (``-s WB_DEST=...``) else its default."""

from __future__ import annotations

from dataclasses import dataclass

from marketplace_spiders.config import SettingsGroup, at_least, setting

__all__ = ["WildberriesConfig"]


@dataclass(frozen=True)
class WildberriesConfig(SettingsGroup, prefix="WB_"):
    """Wildberries (marketplace_spiders/marketplaces/wildberries)."""

    search_version: str = setting("v9", "search API version (v9: the version of the newest real capture)")
    dest: str = setting("-1257786", "delivery region id (-1257786 = Moscow)")
    search_max_pages: int = setting(5, "search result pages per term", check=at_least(1))
    search_page_size: int = setting(100, "results per search page", check=at_least(1))
    detail_batch_size: int = setting(100, "nm ids per card.wb.ru detail request", check=at_least(1))
    content_max_age_days: float = setting(7.0, "days before a listing's card.json is fetched again",
                                          check=at_least(0))
    seller_max_age_days: float = setting(7.0, "days before a seller's documents are fetched again",
                                         check=at_least(0))
    impersonate: bool = setting(True, "fetch search/card/catalog hosts with a browser's TLS fingerprint "
                                      "(scrapy-impersonate): they answer other clients with 403")
    impersonate_browser: str = setting("chrome", "the browser whose TLS fingerprint is sent")
    fetch_content: bool = setting(True, "fetch card.json (description, composition); False for a price-only run")
    fetch_sellers: bool = setting(True, "fetch the sellers' documents; False for a price-only run")
