"""Ozon page objects: extraction from www.ozon.ru pages and composer-api JSON. No I/O, no clock.

Modules by page type (this package re-exports their public names, so ``marketplace_spiders.marketplaces.ozon.pages``
stays the import path of callers):

- ``states``: ``OzonWidgetStates``, the widget states of SSR HTML or composer JSON, by widget name;
- ``product`` (+ ``product_seller``): ``OzonProductPage``, a product page (first layout page) ->
  ``ListingObservation``, ``SellerObservation``, ``ListingContent``; also an out-of-stock product answered with a
  search page carrying a ``webOutOfStock`` widget;
- ``details``: ``OzonProductDetailsPage``, the second layout page (``webCharacteristics``, ``webDescription``);
- ``seller``: ``OzonSellerLegalPage``, the seller's «О магазине» modal;
- ``search`` (+ ``tiles``): ``OzonSearchPage``, a search page -> tiles, ``SearchHit``s, next page;
- ``common``: URLs, JSON helpers, text cleaning, prices.

Values go through the shared readers of ``marketplace_spiders.values``: money keeps the currency the page
states, identifiers are read whole and checked by their control digits, counts sent as strings are read.
"""

from marketplace_spiders.marketplaces.ozon.pages.common import (
    COMPOSER_PAGE,
    ENTRYPOINT_PAGE,
    MARKETPLACE,
    SITE,
    clean_text,
    composer_url,
    listed_price,
    product_url,
    second_page_url,
    seller_id_from_link,
    seller_legal_url,
    site_path_of,
    sku_from_url,
)
from marketplace_spiders.marketplaces.ozon.pages.details import OzonProductDetailsPage
from marketplace_spiders.marketplaces.ozon.pages.product import PRODUCT_WIDGETS, OzonProductPage
from marketplace_spiders.marketplaces.ozon.pages.search import PAGINATOR_WIDGETS, SEARCH_GRID_WIDGETS, OzonSearchPage
from marketplace_spiders.marketplaces.ozon.pages.seller import SELLER_LEGAL_WIDGETS, OzonSellerLegalPage
from marketplace_spiders.marketplaces.ozon.pages.states import OzonWidgetStates, load_states
from marketplace_spiders.marketplaces.ozon.pages.tiles import OzonTile, is_stock_atom

__all__ = [
    "COMPOSER_PAGE", "ENTRYPOINT_PAGE", "MARKETPLACE", "PAGINATOR_WIDGETS", "PRODUCT_WIDGETS", "SEARCH_GRID_WIDGETS",
    "SELLER_LEGAL_WIDGETS", "SITE", "OzonProductDetailsPage", "OzonProductPage", "OzonSearchPage",
    "OzonSellerLegalPage", "OzonTile", "OzonWidgetStates", "clean_text", "composer_url", "is_stock_atom",
    "listed_price", "load_states", "product_url", "second_page_url", "seller_id_from_link", "seller_legal_url",
    "site_path_of", "sku_from_url",
]
