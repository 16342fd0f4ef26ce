"""The watchlist a crawl will search, validated before any spider starts (``scrapy crawl``, ``scrapy crawlall``).

A spider reads its terms when its start requests are built, after the engine opened: a broken watchlist would
surface there as a traceback in the log and a failed run. The commands check first, the way the spider
chooses its terms (``MarketplaceSpider.search_terms``): ``-a terms=…`` and a replayed recording that names
its terms use no watchlist; anything else reads ``WATCHLIST_PATH`` (None: the packaged one).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marketplace_spiders.core_config import RecordingConfig, WatchlistConfig
from marketplace_spiders.recording import recording_meta
from marketplace_spiders.watchlist import Watchlist, WatchlistError


def watchlist_problem(settings: Any, spargs: Mapping[str, Any]) -> str | None:
    """One line naming the file and every product problem when the crawl's watchlist cannot be used, else None."""
    if spargs.get("terms"):
        return None
    replay_dir = RecordingConfig.from_settings(settings).replay_dir
    if replay_dir and recording_meta(replay_dir).get("terms"):
        return None
    try:
        Watchlist.load(WatchlistConfig.from_settings(settings).path)
    except WatchlistError as error:
        return "invalid watchlist: " + "; ".join(" ".join(line.split()) for line in error.errors)
    return None
