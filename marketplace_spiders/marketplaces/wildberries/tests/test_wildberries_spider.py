"""Wildberries request generation: URLs, parameters, headers, batching, revisit and staleness rules."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from sample_files import json_response
from scrapy.utils.test import get_crawler

from marketplace_spiders.items import FetchRecord, ListingContent, ListingObservation, SearchHit
from marketplace_spiders.marketplaces.wildberries.spider import WildberriesSpider

AT = datetime(2026, 11, 8, 6, 0, tzinfo=UTC)


@pytest.fixture
def spider(tmp_path):
    crawler = get_crawler(WildberriesSpider, {"DUCKDB_PATH": str(tmp_path / "db.duckdb"),
                                              "WB_DETAIL_BATCH_SIZE": 2, "WB_SEARCH_MAX_PAGES": 3})
    return crawler._create_spider(terms="Кымдан-2;Royal Blood-Fresh")


def test_terms_argument_overrides_watchlist(spider):
    assert spider.search_terms() == ["Кымдан-2", "Royal Blood-Fresh"]


def test_watchlist_terms_by_default(tmp_path):
    crawler = get_crawler(WildberriesSpider, {"DUCKDB_PATH": str(tmp_path / "db.duckdb")})
    terms = crawler._create_spider().search_terms()
    assert "Кымдан-2" in terms and "Kumdang-2" in terms and "금당-2" in terms
    assert len(terms) == len(set(terms))


def test_search_request(spider):
    request = spider.search_request("Кымдан-2", 2)
    parts = urlsplit(request.url)
    assert (parts.netloc, parts.path) == ("search.wb.ru", "/exactmatch/ru/common/v9/search")
    assert parse_qs(parts.query) == {
        "appType": ["1"], "curr": ["rub"], "dest": ["-1257786"], "locale": ["ru"], "query": ["Кымдан-2"],
        "resultset": ["catalog"], "page": ["2"], "spp": ["30"],
    }
    assert request.meta["impersonate"] == "chrome"
    assert request.meta["page_type"] == "search"
    assert request.cb_kwargs == {"term": "Кымдан-2", "page": 2}


def test_search_version_and_impersonation_are_settings(tmp_path):
    crawler = get_crawler(WildberriesSpider, {"DUCKDB_PATH": str(tmp_path / "d.duckdb"), "WB_SEARCH_VERSION": "v18",
                                              "WB_IMPERSONATE": False})
    request = crawler._create_spider(terms="x").search_request("x", 1)
    assert "/common/v18/search" in request.url
    assert "impersonate" not in request.meta


def test_detail_url_batches_ids_with_semicolons(spider):
    url = spider.detail_url([201111001, 201111002])
    assert url.startswith("https://card.wb.ru/cards/v4/detail?appType=1&curr=rub&dest=-1257786")
    assert url.endswith("&nm=201111001;201111002")


def _search_body(ids, total):
    products = ",".join(f'{{"id": {i}, "name": "p{i}", "sizes": []}}' for i in ids)
    return f'{{"metadata": {{}}, "products": [{products}], "total": {total}}}'.encode()


def _paging_spider(tmp_path):
    crawler = get_crawler(WildberriesSpider, {"DUCKDB_PATH": str(tmp_path / "db.duckdb"), "WB_SEARCH_PAGE_SIZE": 2,
                                              "WB_SEARCH_MAX_PAGES": 3})
    return crawler._create_spider(terms="x")


def _pages_requested(out):
    return [o.cb_kwargs["page"] for o in out if hasattr(o, "cb_kwargs")]


def test_page_one_with_a_total_schedules_the_remaining_pages_up_to_the_cap(tmp_path):
    spider = _paging_spider(tmp_path)
    full_page = json_response(spider.search_url("x", 1), _search_body([1, 2], 10), meta={"fetched_at": AT})
    out = list(spider.parse_search(full_page, term="x", page=1))
    assert [type(o) for o in out[:3]] == [FetchRecord, SearchHit, SearchHit]
    assert _pages_requested(out) == [2, 3]  # 10 results / 2 per page = 5 pages, capped at 3
    assert _pages_requested(spider.parse_search(full_page, term="x", page=2)) == []  # page 1 scheduled them
    few = json_response(spider.search_url("x", 1), _search_body([1, 2], 3), meta={"fetched_at": AT})
    assert _pages_requested(spider.parse_search(few, term="x", page=1)) == [2]


def test_without_a_total_pages_are_followed_while_full(tmp_path):
    spider = _paging_spider(tmp_path)
    body = b'{"data": {"products": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]}}'
    page = json_response(spider.search_url("x", 1), body, meta={"fetched_at": AT})
    assert _pages_requested(spider.parse_search(page, term="x", page=1)) == [2]
    assert _pages_requested(spider.parse_search(page, term="x", page=3)) == []  # the cap
    short = json_response(spider.search_url("x", 1), b'{"data": {"products": [{"id": 3, "name": "c"}]}}',
                          meta={"fetched_at": AT})
    assert _pages_requested(spider.parse_search(short, term="x", page=1)) == []
    assert spider.found == {1, 2, 3}


def test_idle_schedules_detail_batches_for_found_and_tracked(spider):
    scheduled = []

    class Engine:
        def crawl(self, request):
            scheduled.append(request)

    spider.crawler.engine = Engine()
    spider.found = {5, 1}
    spider.tracked = {"3": {}, "1": {}}
    with pytest.raises(Exception) as raised:
        spider.on_idle()
    assert raised.type.__name__ == "DontCloseSpider"
    assert [r.cb_kwargs["nm_ids"] for r in scheduled] == [[1, 3], [5]]
    # the lone id goes with an anchor from another batch that the search found
    assert scheduled[1].cb_kwargs["anchor_ids"] == [1] and scheduled[1].url.endswith("&nm=5;1")
    assert scheduled[1].meta["product_ids"] == [5]
    assert all(r.meta["impersonate"] == "chrome" for r in scheduled)
    spider.on_idle()  # second idle: detail phase already scheduled, the spider may close


def _detail_response(spider, ids):
    body = ",".join(
        f'{{"id": {i}, "name": "p{i}", "supplierId": 77, "supplier": "S", "totalQuantity": 5,'
        f' "sizes": [{{"price": {{"basic": 20000, "product": 10000}}, "stocks": [{{"qty": 5}}]}}]}}'
        for i in ids
    )
    return json_response(spider.detail_url(ids), f'{{"products": [{body}]}}'.encode(), meta={"fetched_at": AT})


def test_detail_asks_content_for_new_listings_and_reuses_fresh_content(spider):
    spider.tracked = {
        "1": {"content_fetched_at": datetime(2026, 11, 5), "description_hash": "h1", "country_of_origin": "КНДР",
              "manufacturer": "Пуган", "category": "БАДы"},
        "2": {"content_fetched_at": datetime(2026, 10, 1), "description_hash": "h2"},
    }
    out = list(spider.parse_detail(_detail_response(spider, [1, 2, 3]), nm_ids=[1, 2, 3]))
    requests = [o for o in out if hasattr(o, "cb_kwargs")]
    observations = [o for o in out if isinstance(o, ListingObservation)]
    content_urls = sorted(r.url for r in requests if r.meta["page_type"] == "content")
    assert content_urls == [
        "https://basket-01.wbbasket.ru/vol0/part0/2/info/ru/card.json",
        "https://basket-01.wbbasket.ru/vol0/part0/3/info/ru/card.json",
    ]
    (fresh,) = observations  # only listing 1 is emitted now; 2 (stale) and 3 (new) wait for their content
    assert (fresh.product_id, fresh.description_hash, fresh.country_of_origin) == ("1", "h1", "КНДР")
    sellers = [r for r in requests if r.meta["page_type"] == "seller"]
    assert [r.url for r in sellers] == ["https://static-basket-01.wbbasket.ru/vol0/data/supplier-by-id/77.json"]


def test_content_failure_still_emits_the_observation(spider):
    from twisted.python.failure import Failure

    (request,) = [o for o in spider.parse_detail(_detail_response(spider, [9]), nm_ids=[9])
                  if hasattr(o, "cb_kwargs") and o.meta["page_type"] == "content"]
    try:
        raise ConnectionError("reset")
    except ConnectionError:
        failure = Failure()
    failure.request = request
    out = list(spider.on_content_error(failure))
    assert isinstance(out[0], FetchRecord) and out[0].outcome == "failed" and out[0].product_ids == ["9"]
    assert isinstance(out[1], ListingObservation) and out[1].price is not None


def test_content_response_completes_the_observation(spider):
    (request,) = [o for o in spider.parse_detail(_detail_response(spider, [9]), nm_ids=[9])
                  if hasattr(o, "cb_kwargs") and o.meta["page_type"] == "content"]
    body = ('{"imt_id": 1, "nm_id": 9, "imt_name": "p9", "subj_name": "БАДы", "description": "d",'
            ' "options": [{"name": "Страна производства", "value": "КНДР"}], "selling": {"supplier_id": 77}}')
    response = json_response(request.url, body.encode(), meta={"fetched_at": AT})
    out = list(spider.parse_content(response, **request.cb_kwargs))
    content = next(o for o in out if isinstance(o, ListingContent))
    observation = next(o for o in out if isinstance(o, ListingObservation))
    assert observation.description_hash == content.description_hash
    assert (observation.country_of_origin, observation.category) == ("КНДР", "БАДы")


def test_seller_profile_request_carries_client_header(spider):
    (request,) = spider.seller_requests("77", AT)
    body = (b'{"sellerType": "", "supplierFullName": "OOO X", "supplierId": 77, "supplierName": "S",'
            b' "inn": "7701234560"}')
    out = list(spider.parse_supplier(json_response(request.url, body, meta={"fetched_at": AT}), seller_id="77"))
    profile = out[-1]
    assert profile.url == "https://suppliers-shipment-2.wildberries.ru/api/v1/suppliers/77?curr=RUB"
    assert profile.headers[b"x-client-name"] == b"site"
    assert list(spider.seller_requests("77", AT)) == []  # one request per seller per run


def test_fresh_sellers_are_not_fetched_again(spider):
    spider.known_sellers = {"77": datetime(2026, 11, 7)}
    assert list(spider.seller_requests("77", AT)) == []
    spider.known_sellers = {"78": datetime(2026, 10, 1)}
    assert len(list(spider.seller_requests("78", AT))) == 1


@pytest.mark.parametrize("url, refused", [
    ("https://evil.example.com/collect", True),
    ("https://wb.ru.evil.example.com/", True),
    ("https://card.wb.ru/cards/v4/detail?nm=1", False),
    ("https://basket-12.wbbasket.ru/vol1797/part179790/179790764/info/ru/card.json", False),
])
def test_requests_to_other_domains_are_refused(tmp_path, url, refused):
    import asyncio

    from scrapy import Request
    from scrapy.downloadermiddlewares.offsite import OffsiteMiddleware
    from scrapy.exceptions import IgnoreRequest

    crawler = get_crawler(WildberriesSpider, {"DUCKDB_PATH": str(tmp_path / "db.duckdb")})
    crawler.spider = crawler._create_spider(terms="x")
    middleware = OffsiteMiddleware.from_crawler(crawler)
    middleware.spider_opened(crawler.spider)
    try:
        result = middleware.process_request(Request(url))
        if asyncio.iscoroutine(result):
            asyncio.run(result)
    except IgnoreRequest:
        assert refused
    else:
        assert not refused


# -- suspect detail answers ------------------------------------------------------------------------------
def test_empty_detail_answer_is_malformed_and_emits_no_not_found_rows(spider):
    response = json_response(spider.detail_url([1, 2]), b'{"products": []}', meta={"fetched_at": AT})
    out = list(spider.parse_detail(response, nm_ids=[1, 2]))
    assert [type(o) for o in out] == [FetchRecord]
    (record,) = out
    assert (record.outcome, record.product_ids) == ("malformed", ["1", "2"])
    assert "omits every requested id (2)" in record.reason
    assert spider.crawler.stats.get_value("detail/suspect_answers") == 1


def test_answer_omitting_an_id_this_run_searched_keeps_the_returned_listings(spider):
    spider.found = {2}
    spider.tracked = {"1": {"content_fetched_at": datetime(2026, 11, 7), "description_hash": "h1"}}
    out = list(spider.parse_detail(_detail_response(spider, [1]), nm_ids=[1, 2, 3]))
    records = [o for o in out if isinstance(o, FetchRecord)]
    observations = [o for o in out if isinstance(o, ListingObservation)]
    assert [(r.outcome, r.product_ids) for r in records] == [("malformed", ["1", "2", "3"])]
    assert "this run saw listed (2)" in records[0].reason
    # 1 was returned and stays listed; neither 2 (searched) nor 3 gets a not_found row from a suspect answer
    assert [(o.product_id, o.listing_status) for o in observations] == [("1", "listed")]


def test_answer_omitting_only_unsearched_ids_is_trusted(spider):
    spider.found = {1}
    spider.tracked = {"1": {"content_fetched_at": datetime(2026, 11, 7), "description_hash": "h1"}}
    out = list(spider.parse_detail(_detail_response(spider, [1]), nm_ids=[1, 2]))
    assert [(o.outcome) for o in out if isinstance(o, FetchRecord)] == ["ok"]
    assert sorted((o.product_id, o.listing_status) for o in out if isinstance(o, ListingObservation)) == [
        ("1", "listed"), ("2", "not_found")]


def test_lone_id_missing_beside_a_returned_anchor_is_not_found(spider):
    spider.found = {1}
    spider.tracked = {"1": {"content_fetched_at": datetime(2026, 11, 7), "description_hash": "h1"}}
    out = list(spider.parse_detail(_detail_response(spider, [1]), nm_ids=[5], anchor_ids=[1]))
    assert [(o.outcome, o.product_ids) for o in out if isinstance(o, FetchRecord)] == [("ok", ["5"])]
    # the anchor is observed in its own batch: only the lone id's row comes from this answer
    assert [(o.product_id, o.listing_status) for o in out if isinstance(o, ListingObservation)] == [
        ("5", "not_found")]
