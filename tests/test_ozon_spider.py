"""The Ozon spider's requests and callbacks on hand-built responses (no browser: REPLAY_DIR set, callbacks
called directly), here: the seller's legal-information modal for sellers the product page leaves anonymous."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import scrapy
from scrapy.http import TextResponse
from scrapy.utils.test import get_crawler

from marketplace_spiders.items import FetchRecord, SellerObservation
from marketplace_spiders.pages.ozon import seller_legal_url
from marketplace_spiders.spiders.ozon import OzonSpider

PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "ozon" / "pages"


@pytest.fixture
def spider(tmp_path):
    # a replay configuration (a real bundled recording) so that no browser is needed
    replay = PAGES.parent / "timeline" / "run-1"
    crawler = get_crawler(OzonSpider, {"DUCKDB_PATH": str(tmp_path / "db.duckdb"), "REPLAY_DIR": str(replay)})
    spider = crawler._create_spider()
    spider.load_history()
    return spider


def product_response(strip_legal: bool, sku: str = "900000001") -> TextResponse:
    """The DPRK product case; with ``strip_legal`` its seller widget loses the trust-factor tooltip."""
    meta = json.loads((PAGES / "dprk_product" / "meta.json").read_text("utf-8"))
    data = json.loads((PAGES / "dprk_product" / "body.json").read_text("utf-8"))
    if strip_legal:
        for key, value in data["widgetStates"].items():
            if key.startswith("webCurrentSeller"):
                state = json.loads(value)
                state.pop("trustFactors", None)
                data["widgetStates"][key] = json.dumps(state, ensure_ascii=False)
    url = meta["url"].replace("900000001", sku)
    request = scrapy.Request(url, meta={"page_type": "product_page"})
    return TextResponse(url=url, body=json.dumps(data, ensure_ascii=False).encode(), encoding="utf-8",
                        request=request)


def test_seller_without_legal_details_gets_its_modal_once_per_run(spider):
    out = list(spider.parse_product_page(product_response(strip_legal=True), "900000001"))
    sellers = [x for x in out if isinstance(x, SellerObservation)]
    assert [(s.seller_id, s.legal_name, s.ogrn) for s in sellers] == [("987654", None, None)]
    requests = [x for x in out if isinstance(x, scrapy.Request) and x.callback == spider.parse_seller_legal]
    assert [r.url for r in requests] == [seller_legal_url("987654")]
    assert requests[0].meta["page_type"] == "seller" and requests[0].meta["playwright"] is True
    again = list(spider.parse_product_page(product_response(strip_legal=True, sku="900000002"), "900000002"))
    assert not any(isinstance(x, scrapy.Request) and x.callback == spider.parse_seller_legal for x in again)


def test_seller_with_legal_details_needs_no_modal(spider):
    out = list(spider.parse_product_page(product_response(strip_legal=False), "900000001"))
    assert [(s.legal_name, s.ogrn) for s in out if isinstance(s, SellerObservation)] == [
        ("ООО «Корея Здоровье»", "1234567890123")]
    assert not any(isinstance(x, scrapy.Request) and x.callback == spider.parse_seller_legal for x in out)


def test_modal_answer_becomes_the_sellers_legal_identity(spider):
    case = PAGES / "seller_legal_info"
    meta = json.loads((case / "meta.json").read_text("utf-8"))
    seller = SellerObservation("ozon", meta["seller_id"], name="Пхеньян Маркет")
    request = scrapy.Request(meta["url"], meta={"page_type": "seller"})
    response = TextResponse(url=meta["url"], body=(case / "body.json").read_bytes(), encoding="utf-8",
                            request=request)
    out = list(spider.parse_seller_legal(response, seller))
    assert [f.outcome for f in out if isinstance(f, FetchRecord)] == ["ok"]
    legal = [s for s in out if isinstance(s, SellerObservation)]
    assert [(s.seller_id, s.name, s.legal_name, s.ogrn) for s in legal] == [
        ("3330001", "Пхеньян Маркет", "ИП Ли Ен Чер", "325253600011111")]
    assert legal[0].response_sha256


def test_a_modal_that_is_not_one_is_malformed_not_a_seller(spider):
    request = scrapy.Request(seller_legal_url("42"), meta={"page_type": "seller"})
    response = TextResponse(url=request.url, body=b'{"widgetStates": {}}', encoding="utf-8", request=request)
    out = list(spider.parse_seller_legal(response, SellerObservation("ozon", "42")))
    assert [(f.page_type, f.outcome) for f in out if isinstance(f, FetchRecord)] == [("seller", "malformed")]
    assert not any(isinstance(x, SellerObservation) for x in out)
