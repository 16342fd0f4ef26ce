"""``OzonSearchPage``: a search (or category) page, SSR HTML or composer JSON -> tiles, ``SearchHit``s,
``ListingObservation``s (``source='search'``) and the next result page.

A search page whose own markup says it has results (tile-shaped objects in the grid under any key, a
paginator pointing at a next page, a stated total above 0) but yields no parsed tile is malformed
(``LayoutError``): a renamed grid key must not pass as "nothing found".
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from scrapy.http import Response

from marketplace_spiders.items import ListingObservation, SearchHit
from marketplace_spiders.marketplaces.ozon.pages.common import MARKETPLACE, SITE, composer_url
from marketplace_spiders.marketplaces.ozon.pages.states import load_states
from marketplace_spiders.marketplaces.ozon.pages.tiles import OzonTile
from marketplace_spiders.pages.base import body_sha256
from marketplace_spiders.pages.errors import LayoutError, layout_guard
from marketplace_spiders.values import get, parse_count

SEARCH_GRID_WIDGETS = ("tileGridDesktop", "searchResultsV2")
PAGINATOR_WIDGETS = ("infiniteVirtualPaginator", "megaPaginator")
TOTAL_KEYS = ("totalFound", "totalCount", "totalItems", "itemsCount", "total", "found")


def _tile_shaped(data: Any) -> Iterator[dict[str, Any]]:
    """Objects anywhere in a grid state that look like product tiles (``mainState`` atoms or a link to a
    product page), whatever list holds them."""
    if isinstance(data, dict):
        link = get(data, "action", "link")
        if isinstance(data.get("mainState"), list) or isinstance(link, str) and "/product/" in link:
            yield data
            return
        for value in data.values():
            yield from _tile_shaped(value)
    elif isinstance(data, list):
        for value in data:
            yield from _tile_shaped(value)


@layout_guard
class OzonSearchPage:
    """A search (or category) page: SSR HTML or composer JSON."""

    def __init__(self, response: Response):
        self.response = response
        self.states = load_states(response)
        self._grids = [state for name in SEARCH_GRID_WIDGETS for state in self.states.all(name)]
        if not self._grids:
            raise LayoutError(f"no search grid ({', '.join(SEARCH_GRID_WIDGETS)}); "
                              f"widgets: {sorted(self.states.names())[:15]}")
        self._tiles: list[OzonTile] | None = None

    def tiles(self) -> list[OzonTile]:
        """Product tiles in page order (a SKU repeated in several grids is kept once). A page that says it has
        results but yields none raises ``LayoutError``."""
        if self._tiles is None:
            tiles: dict[str, OzonTile] = {}
            for grid in self._grids:
                for item in grid.get("items") or []:
                    if isinstance(item, dict) and (item.get("sku") is not None or item.get("mainState")):
                        tile = OzonTile.from_state(item)
                        tiles.setdefault(tile.sku, tile)
            if not tiles:
                claims = self.result_claims()
                if claims:
                    raise LayoutError(f"search page yields no tiles but says it has results: {'; '.join(claims)}")
            self._tiles = list(tiles.values())
        return self._tiles

    def result_claims(self) -> list[str]:
        """What on the page says it has results: visible tiles in the grid (under any key), a next page, a
        stated total above 0."""
        claims = []
        shaped = sum(1 for grid in self._grids for _ in _tile_shaped(grid))
        if shaped:
            claims.append(f"{shaped} tile-shaped object(s) in the grid (keys {sorted(self._grids[0])[:10]})")
        if self.next_page_path():
            claims.append("the paginator has a next page")
        for where, state in self._counter_states():
            for key in TOTAL_KEYS:
                count = parse_count(state.get(key))
                if count:
                    claims.append(f"{where}.{key} = {count}")
        return claims

    def _counter_states(self) -> Iterator[tuple[str, dict[str, Any]]]:
        for grid in self._grids:
            yield "grid", grid
        for name in PAGINATOR_WIDGETS:
            for state in self.states.all(name):
                yield name, state
        yield "layoutTrackingInfo", self.states.layout_tracking

    def next_page_path(self) -> str | None:
        """Site path of the next result page (``nextPage`` of the paginator), or None on the last page."""
        for name in PAGINATOR_WIDGETS:
            for state in self.states.all(name):
                if isinstance(state.get("nextPage"), str) and state["nextPage"]:
                    return state["nextPage"]
        return None

    def next_page_url(self) -> str | None:
        """Next page in the same form as this response: composer-api URL or www.ozon.ru URL."""
        path = self.next_page_path()
        if path is None:
            return None
        return composer_url(path) if self.states.is_composer else SITE + path

    def search_hits(self, term: str, page: int, observed_at: datetime, offset: int = 0) -> list[SearchHit]:
        """One hit per tile; ``offset`` is the number of results on earlier pages (position is 1-based)."""
        sha = body_sha256(self.response)
        return [
            SearchHit(
                marketplace=MARKETPLACE,
                term=term,
                page=page,
                position=offset + index + 1,
                product_id=tile.sku,
                product_name=tile.title,
                observed_at=observed_at,
                response_sha256=sha,
            )
            for index, tile in enumerate(self.tiles())
        ]

    def observations(self, observed_at: datetime) -> list[ListingObservation]:
        """Prices and stock hints as the tiles show them (``source='search'``)."""
        sha = body_sha256(self.response)
        return [tile.to_observation(observed_at, sha) for tile in self.tiles()]
