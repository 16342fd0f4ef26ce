"""Ozon through a real browser: the composer JSON of search and product pages, loaded in Chromium.

Ozon's pages are rendered by JavaScript behind the "fab" anti-bot; the page JSON
(``/api/composer-api.bx/page/json/v2?url=<site path>``) is loaded inside the browser context, so it carries
the browser's cookies. Chromium shows a JSON document as ``<pre>`` text; ``json_document`` unwraps it.

- search: ``url=/search/?text=<term>&from_global=true`` -> ``tileGridDesktop`` tiles, paging via the
  paginator's ``nextPage`` (up to OZON_SEARCH_MAX_PAGES, default 3);
- product: ``url=/product/<sku>/`` -> heading, price, availability, seller (with legal name and OGRN from
  the trust factors), JSON-LD description; when the listing is new or its content is older than
  OZON_CONTENT_MAX_AGE_DAYS (7), the layout's second page (``webCharacteristics``/``webDescription``) for
  country of manufacture and manufacturer;
- seller: when a product page shows a marketplace seller without legal details (no trust-factor tooltip)
  or with a registration number that fails its control digits,
  the seller's "О магазине" modal (entrypoint-api ``/modal/shop-in-shop-info?seller_id=``) once per run.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import scrapy
from parsel import Selector
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from marketplace_spiders.browser import browser_settings
from marketplace_spiders.items import ListingContent, ListingObservation, SellerObservation
from marketplace_spiders.marketplaces.ozon import MARKETPLACE
from marketplace_spiders.marketplaces.ozon.pages import (
    OzonProductDetailsPage,
    OzonProductPage,
    OzonSearchPage,
    OzonSellerLegalPage,
    composer_url,
    second_page_url,
    seller_legal_url,
    site_path_of,
)
from marketplace_spiders.marketplaces.ozon.settings import OzonConfig
from marketplace_spiders.pages.description import description_hash
from marketplace_spiders.pages.errors import LayoutError
from marketplace_spiders.spiders.browser_marketplace import BrowserMarketplaceSpider


def json_document(response: Response) -> TextResponse:
    """The JSON a browser displayed (``<pre>`` in Chromium's viewer), or the response itself if it is JSON."""
    head = response.body[:200].lstrip()
    if not head.startswith(b"<"):
        return response
    text = Selector(text=response.text).xpath("string(//pre)").get() or ""
    if not text.strip():
        raise LayoutError("browser page holds no JSON document")
    return TextResponse(url=response.url, body=text.encode("utf-8"), encoding="utf-8",
                        headers={"Content-Type": "application/json"}, request=response.request)


class OzonSpider(BrowserMarketplaceSpider):
    name = "ozon"
    settings_prefix = "OZON"
    config_class = OzonConfig
    expectations = MARKETPLACE.expectations  # declared in the marketplace's descriptor (__init__.py)
    allowed_domains = ["ozon.ru"]
    custom_settings = browser_settings()
    search_wait_selector = "pre"
    product_wait_selector = "pre"

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._seller_legal_requested: set[str] = set()

    def search_url(self, term: str, page: int) -> str:
        return composer_url("/search/?" + urlencode({"text": term, "from_global": "true"}))

    def product_request_url(self, product_id: str, known_url: str | None) -> str:
        path = site_path_of(known_url) if known_url else f"/product/{product_id}/"
        return composer_url(path.split("?", 1)[0])

    def parse_search_page(self, response: Response, term: str, page: int) -> tuple[list, dict[str, str], str | None]:
        search = OzonSearchPage(json_document(response))
        offset = int(response.meta.get("search_offset", 0))
        hits = search.search_hits(term, page, self.fetched_at(response), offset=offset)
        products = {tile.sku: tile.url for tile in search.tiles()}
        return hits, products, search.next_page_url()

    def parse_product_page(self, response: Response, product_id: str) -> Iterator[Any]:
        page = OzonProductPage(json_document(response))
        at = self.fetched_at(response)
        observation = page.to_item(at)
        yield self.fetch_record(response, "product_page", product_ids=[observation.product_id])
        seller = page.to_seller(at)
        if seller is not None:
            yield seller
            yield from self.seller_legal_request(seller)
        if not self.content_is_stale(observation.product_id, at):
            yield self.with_known_content(observation)
            return
        content = page.to_content(at)
        url = second_page_url(site_path_of(page.url()))
        yield scrapy.Request(
            url, callback=self.parse_details, errback=self.on_details_error,
            meta=self.browser_meta("content", self.product_wait_selector, product_ids=[observation.product_id],
                                   observation=observation, content=content),
            cb_kwargs={"observation": observation, "content": content},
        )

    def seller_legal_request(self, seller: SellerObservation) -> Iterator[scrapy.Request]:
        """The seller's "О магазине" modal, once per run, when the product page showed no legal details or a
        number that failed its checks (marketplace sellers only: Ozon's own storefront has a slug, not a
        number)."""
        if not seller.seller_id.isdigit():
            return
        if (seller.legal_name or seller.ogrn) and not seller.legal_id_rejects:
            return
        if seller.seller_id in self._seller_legal_requested:
            return
        self._seller_legal_requested.add(seller.seller_id)
        yield scrapy.Request(
            seller_legal_url(seller.seller_id), callback=self.parse_seller_legal, errback=self.on_seller_legal_error,
            meta=self.browser_meta("seller", self.product_wait_selector), cb_kwargs={"seller": seller},
        )

    def parse_seller_legal(self, response: Response, seller: SellerObservation) -> Iterator[Any]:
        try:
            page = OzonSellerLegalPage(json_document(response), seller.seller_id)
        except LayoutError as exc:
            yield self.malformed(response, "seller", exc)
            return
        yield self.fetch_record(response, "seller")
        yield page.to_seller(self.fetched_at(response), name=seller.name)

    def on_seller_legal_error(self, failure: Failure) -> Iterator[Any]:
        yield self.failed_fetch(failure)

    def parse_details(self, response: Response, observation: ListingObservation,
                      content: ListingContent) -> Iterator[Any]:
        try:
            details = OzonProductDetailsPage(json_document(response))
            characteristics = {**content.characteristics, **details.characteristics()}
            description = details.description() or content.description
        except LayoutError as exc:
            yield self.malformed(response, "content", exc, product_ids=[observation.product_id])
            yield content
            yield self.with_content(observation, content)
            return
        yield self.fetch_record(response, "content", product_ids=[observation.product_id])
        content.characteristics = characteristics
        content.description = description
        content.country_of_origin = details.country_of_origin() or content.country_of_origin
        content.manufacturer = details.manufacturer() or content.manufacturer
        content.brand = details.brand() or content.brand
        content.description_hash = description_hash(description, characteristics)
        yield content
        yield self.with_content(observation, content)

    def on_details_error(self, failure: Failure) -> Iterator[Any]:
        yield self.failed_fetch(failure)
        meta = failure.request.meta
        # Price and availability were fetched: keep them with what the product page itself said.
        yield meta["content"]
        yield self.with_content(meta["observation"], meta["content"])
