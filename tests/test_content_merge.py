"""One content-merge rule (``MarketplaceSpider.with_content``) for every marketplace: the content document is
the one source of the content fields; an observation keeps its own value only where the content has none."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from marketplace_spiders.items import ListingContent, ListingObservation
from marketplace_spiders.marketplaces.ozon.spider import OzonSpider
from marketplace_spiders.marketplaces.wildberries.spider import WildberriesSpider
from marketplace_spiders.marketplaces.yandex_market.spider import YandexMarketSpider
from marketplace_spiders.spiders.base import CONTENT_FIELDS, MarketplaceSpider

AT = datetime(2026, 9, 17, tzinfo=UTC)
SPIDERS = (WildberriesSpider, OzonSpider, YandexMarketSpider)


def _observation(**fields) -> ListingObservation:
    return ListingObservation(marketplace="ozon", product_id="1", url="https://www.ozon.ru/product/1/",
                              observed_at=AT, **fields)


def _content(**fields) -> ListingContent:
    return ListingContent(marketplace="ozon", product_id="1", observed_at=AT, **fields)


@pytest.mark.parametrize(("own", "content", "expected"), [
    ({}, {"country_of_origin": "КНДР"}, "КНДР"),                               # content fills
    ({"country_of_origin": "Китай"}, {"country_of_origin": "КНДР"}, "КНДР"),   # content wins
    ({"country_of_origin": "Китай"}, {"country_of_origin": None}, "Китай"),    # content states none
    ({"country_of_origin": "Китай"}, {"country_of_origin": ""}, "Китай"),      # empty is none
    ({}, {}, None),
], ids=["content_fills_a_gap", "content_wins_over_the_observation", "observation_kept_where_content_has_none",
        "empty_content_value_is_none", "neither"])
@pytest.mark.parametrize("spider", SPIDERS, ids=[s.name for s in SPIDERS])
def test_every_marketplace_merges_content_by_one_rule(spider, own, content, expected):
    """Wildberries overwrote every field with the content's (a None blanked a value), the browser marketplaces
    kept the observation's own value over the known content: one rule for all three now."""
    merged = spider.with_content(_observation(**own), _content(**content))
    assert merged.country_of_origin == expected


@pytest.mark.parametrize("spider", SPIDERS, ids=[s.name for s in SPIDERS])
def test_known_content_wins_over_the_first_page_short_list(spider):
    """A listing whose content is not fetched again carries its last known content (crawl history): Ozon kept
    the first page's short-list country over it."""
    instance = spider.__new__(spider)
    instance.tracked = {"1": {"country_of_origin": "КНДР", "manufacturer": None, "category": "Витамины",
                              "description_hash": "h1"}}
    merged = instance.with_known_content(_observation(country_of_origin="Китай", manufacturer="Завод"))
    assert (merged.country_of_origin, merged.manufacturer, merged.category, merged.description_hash) == (
        "КНДР", "Завод", "Витамины", "h1")


def test_an_untracked_listing_keeps_its_own_values():
    instance = WildberriesSpider.__new__(WildberriesSpider)
    instance.tracked = {}
    merged = instance.with_known_content(_observation(country_of_origin="КНДР"))
    assert merged.country_of_origin == "КНДР"


def test_the_rule_has_one_home():
    for spider in SPIDERS:
        assert spider.with_content is MarketplaceSpider.with_content
        assert spider.with_known_content is MarketplaceSpider.with_known_content
    assert CONTENT_FIELDS == ("description_hash", "country_of_origin", "manufacturer", "category")
