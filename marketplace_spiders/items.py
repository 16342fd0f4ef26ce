"""Items are DuckDB rows: each class maps to one table, each field to one column.

Field names equal the column names in ``storage/schema/*.sql``; the string under each
field gives its meaning and unit. Page objects build these; they never read the clock,
so every time-like field is passed in by the spider (``observed_at`` comes from the
response's fetch time, which replay can set).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal


@dataclass
class ListingObservation:
    """One product page/card as seen in one run (table ``listing_observations``)."""

    marketplace: str
    """Marketplace slug: one of the registered marketplaces (``marketplace_spiders.marketplaces.slugs()``)."""
    product_id: str
    """Marketplace product id (WB nm id, Ozon SKU, Yandex Market product id), as text."""
    url: str
    """Canonical public URL of the product page."""
    listing_status: str = "listed"
    """'listed' when the marketplace returned the product, 'not_found' when it answered without it."""
    title: str | None = None
    """Product title as shown."""
    brand: str | None = None
    """Brand name as shown."""
    seller_id: str | None = None
    """Marketplace seller id (WB supplierId, Ozon seller id), as text."""
    seller_name: str | None = None
    """Storefront name shown next to the product."""
    price: Decimal | None = None
    """Price shown to a buyer, in roubles (Decimal, 2 places)."""
    price_before_discount: Decimal | None = None
    """Crossed-out price before discount, in roubles."""
    currency: str = "RUB"
    """ISO 4217 currency code of both prices."""
    in_stock: bool | None = None
    """True when at least one unit can be ordered."""
    stock_qty: int | None = None
    """Units in stock summed over warehouses (WB caps what it reports at 100)."""
    stock_capped: bool | None = None
    """True when stock_qty is at the marketplace's reporting cap, so the real stock may be higher."""
    rating: float | None = None
    """Product rating, 0-5 stars."""
    review_count: int | None = None
    """Number of reviews/feedbacks for the product."""
    country_of_origin: str | None = None
    """Country of manufacture as written in the listing's characteristics."""
    manufacturer: str | None = None
    """Manufacturer as written in the listing's characteristics."""
    category: str | None = None
    """Marketplace category (WB subject name, Ozon/YM breadcrumb leaf)."""
    description_hash: str | None = None
    """sha256 of the description version (key into ``descriptions``), or NULL if not fetched yet."""
    source: str = "detail"
    """Which response the prices/stock came from: detail, search, product_page."""
    observed_at: datetime | None = None
    """UTC time the response was fetched (or the replay's observation time)."""
    response_sha256: str | None = None
    """sha256 of the raw response body the price and stock came from."""
    run_id: str | None = None
    """Crawl run that made the observation (set by the pipeline)."""


@dataclass
class ListingContent:
    """Static content of a listing: description, characteristics (basket card.json and the like).

    Not a table of its own: the pipeline writes its text to ``descriptions`` (once per distinct
    hash) and the spider copies country/manufacturer/category/hash into observations.
    """

    marketplace: str
    """Marketplace slug."""
    product_id: str
    """Marketplace product id."""
    title: str | None = None
    """Title as in the content document."""
    description: str | None = None
    """Full description text."""
    characteristics: dict[str, str] = field(default_factory=dict)
    """Characteristic name -> value, as written (e.g. 'Страна производства' -> 'КНДР')."""
    country_of_origin: str | None = None
    """Country of manufacture from the characteristics."""
    manufacturer: str | None = None
    """Manufacturer from the characteristics."""
    brand: str | None = None
    """Brand from the content document."""
    category: str | None = None
    """Category from the content document."""
    seller_id: str | None = None
    """Seller id from the content document."""
    description_hash: str | None = None
    """sha256 over description and characteristics (see ``descriptions.description_hash``)."""
    observed_at: datetime | None = None
    """UTC time the content document was fetched."""
    response_sha256: str | None = None
    """sha256 of the raw content document."""
    run_id: str | None = None
    """Crawl run (set by the pipeline)."""


@dataclass
class SellerObservation:
    """A seller's identity and standing as seen in one run (table ``seller_observations``)."""

    marketplace: str
    """Marketplace slug."""
    seller_id: str
    """Marketplace seller id, as text."""
    name: str | None = None
    """Storefront (display) name."""
    legal_name: str | None = None
    """Full legal name (ООО «…», ИП …) when the marketplace publishes it."""
    inn: str | None = None
    """Russian taxpayer number (10 digits for a company, 12 for an individual), control digits checked."""
    ogrn: str | None = None
    """State registration number (ОГРН 13 digits, ОГРНИП 15 digits)."""
    legal_id_rejects: str | None = None
    """Numbers shown as ИНН/ОГРН that failed their length or control digits, as read; not stored as inn/ogrn."""
    seller_type: str | None = None
    """Marketplace's seller type label (WB sellerType, e.g. C2C)."""
    legal_address: str | None = None
    """Registered address when published."""
    rating: float | None = None
    """Seller rating, 0-5 stars."""
    review_count: int | None = None
    """Number of reviews of the seller."""
    sale_count: int | None = None
    """Items sold, as the marketplace states it (WB saleItemQuantity)."""
    registered_at: datetime | None = None
    """When the seller registered on the marketplace (UTC)."""
    observed_at: datetime | None = None
    """UTC time the seller documents were fetched."""
    response_sha256: str | None = None
    """sha256 of the raw seller document(s) this row came from (legal document first)."""
    run_id: str | None = None
    """Crawl run (set by the pipeline)."""


@dataclass
class SearchHit:
    """A product found by a search term (table ``search_hits``)."""

    marketplace: str
    """Marketplace slug."""
    term: str
    """Search term as sent."""
    page: int
    """Result page, 1-based."""
    position: int
    """Position on the whole result list, 1-based."""
    product_id: str
    """Marketplace product id found."""
    product_name: str | None = None
    """Title as shown in the search result."""
    observed_at: datetime | None = None
    """UTC time the search page was fetched."""
    response_sha256: str | None = None
    """sha256 of the raw search response."""
    run_id: str | None = None
    """Crawl run (set by the pipeline)."""


@dataclass
class FetchRecord:
    """One response (or failure) the crawl received (table ``fetches``); the evidence trail."""

    marketplace: str
    """Marketplace slug."""
    url: str
    """Requested URL."""
    page_type: str
    """What the request was for: search, detail, content, seller, seller_profile, product_page."""
    outcome: str
    """ok, blocked, failed, not_found, malformed."""
    status: int | None = None
    """HTTP status, NULL when no response arrived."""
    reason: str | None = None
    """Why the outcome is not ok (block marker, exception, parse error)."""
    term: str | None = None
    """Search term for search pages."""
    product_ids: list[str] = field(default_factory=list)
    """Product ids this request covered (detail batches, product pages)."""
    fetched_at: datetime | None = None
    """UTC time of the response."""
    response_sha256: str | None = None
    """sha256 of the raw body."""
    body_bytes: int | None = None
    """Size of the raw body in bytes."""
    warc_file: str | None = None
    """WARC file holding the evidence, relative to the evidence root (``<marketplace>/<run_id>/<file>``)."""
    warc_record_id: str | None = None
    """WARC-Record-ID of the record holding what the parser read (response, or a browser page's rendered DOM)."""
    warc_offset: int | None = None
    """Byte offset of that record (one gzip member) in ``warc_file``."""
    warc_length: int | None = None
    """Length in bytes of that record's gzip member."""
    run_id: str | None = None
    """Crawl run (set by the pipeline)."""
