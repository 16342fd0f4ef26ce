"""The TEMPLATE marketplace's settings (``<SLUG>_*``): one SettingsGroup, each field a default and a one-line doc."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from marketplace_spiders.config import SettingsGroup, at_least, setting

__all__ = ["TemplateConfig"]

PREFIX = Path(__file__).resolve().parent.name.upper() + "_"  # TODO: write the prefix out, e.g. "MEGAMARKET_"


@dataclass(frozen=True)
class TemplateConfig(SettingsGroup, prefix=PREFIX, abstract=PREFIX.startswith("_")):
    """Template marketplace (marketplace_spiders/marketplaces/_template)."""

    search_max_pages: int = setting(3, "search result pages followed per term", check=at_least(1))
