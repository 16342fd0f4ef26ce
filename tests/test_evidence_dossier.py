"""The dossier page of an evidence bundle: what it shows, and that seller-written text in it stays inert.

Rows are shaped as the export's queries return them; the texts are the bundled Wildberries timeline's two
description versions of listing 201111001 (the third run added an anti-tumour claim) and hostile variants.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from hostile_text import MARKUP

from marketplace_spiders.evidence import dossier

OLD = ("Тоник-сыворотка Кымдан-2 из шестилетнего кэсонского женьшеня. Омолаживающее действие, укрепляет иммунитет. "
       "Ампулы 5 мл.")
NEW = OLD + " Противоопухолевое действие, без побочных эффектов."
HOSTILE_TITLE = 'Кымдан-2 </textarea><script>alert("x")</script><img src=x onerror=alert(1)> ]]><!--'


def observation(day: int, price: str | None, stock: int | None, description_hash: str, claims: list[dict],
                title: str = "Кымдан-2 сыворотка, 10 ампул") -> dict:
    return {"run_id": f"wildberries-202611{day:02d}T060000Z-aaaa", "observed_at": datetime(2026, 11, day, 6),
            "run_status": "ok", "run_replay": True, "listing_status": "listed", "title": title,
            "price": None if price is None else Decimal(price), "currency": "RUB", "in_stock": bool(stock),
            "stock_qty": stock, "stock_capped": False, "seller_id": "4012345", "seller_name": "Корё Здоровье",
            "verdict": "strong", "reasons": ["strong: DPRK-specific product name: Kumdang-2 ('Кымдан-2')"],
            "description_hash": description_hash, "response_sha256": f"{day:064x}", "claims": claims,
            "record": {"warc_record_id": f"<urn:uuid:0000-{day}>"}}


CLAIM_OLD = [{"category": "immunity", "matched_text": "иммунитет", "field": "description", "illegal_for_bad": True},
             {"category": "injectable_form", "matched_text": "ампул", "field": "title", "illegal_for_bad": True}]
CLAIM_NEW = CLAIM_OLD + [{"category": "cancer", "matched_text": "Противоопухолевое", "field": "description",
                          "illegal_for_bad": True}]


def data(**changes) -> dossier.DossierInput:
    observations = [observation(1, "6990.00", 14, "h1", CLAIM_OLD), observation(8, "5990.00", 9, "h1", CLAIM_OLD),
                    observation(15, None, 0, "h2", CLAIM_NEW)]
    descriptions = [
        {"description_hash": "h1", "text": OLD, "characteristics": '{"Страна производства": "КНДР"}',
         "response_sha256": "a" * 64, "first_shown": datetime(2026, 11, 1, 6), "last_shown": datetime(2026, 11, 8, 6),
         "observations": 2, "record": {"warc_record_id": "<urn:uuid:desc-1>", "run_id": "r1"}},
        {"description_hash": "h2", "text": NEW, "characteristics": '{"Страна производства": "КНДР"}',
         "response_sha256": "b" * 64, "first_shown": datetime(2026, 11, 15, 6),
         "last_shown": datetime(2026, 11, 15, 6), "observations": 1, "record": None}]
    claims = [{"category": "cancer", "matched_text": "Противоопухолевое", "field": "description",
               "illegal_for_bad": True, "first_seen": datetime(2026, 11, 15, 6), "last_seen": datetime(2026, 11, 15, 6),
               "first_run_id": "run-3", "last_run_id": "run-3", "observations": 1}]
    sellers = [{"seller_id": "4012345", "seller_storefront_name": "Корё Здоровье",
                "seller_legal_name": "ООО «Восточный Бальзам»", "seller_inn": "7701234560",
                "seller_ogrn": "1207700123454", "seller_legal_address": "г. Москва", "runs": ["run-1", "run-3"],
                "seller_run_id": "run-1", "seller_response_sha256": "c" * 64,
                "record": {"warc_record_id": "<urn:uuid:seller-1>"}}]
    values = {"listing": {"marketplace": "wildberries", "product_id": "201111001",
                          "url": "https://www.wildberries.ru/catalog/201111001/detail.aspx"},
              "observations": observations, "claims": claims, "descriptions": descriptions, "sellers": sellers,
              "generated_at": datetime(2026, 12, 1, 12)}
    return dossier.DossierInput(**{**values, **changes})


class Elements(HTMLParser):
    """Every start tag of a page, and the text of <script> elements (there must be none)."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def tags_of(page: str) -> list[tuple[str, dict]]:
    parser = Elements()
    parser.feed(page)
    return parser.tags


def test_the_dossier_shows_prices_stock_versions_claims_and_seller():
    page = dossier.render_dossier(data())
    assert page.count("<svg") == 2  # price and stock charts, inline
    assert "2026-11-01 06:00 UTC: 6 990 RUB" in page and "2026-11-08 06:00 UTC: 5 990 RUB" in page
    assert "2026-11-15 06:00 UTC: no value" in page  # out of stock: no price, drawn as a gap
    assert "<mark>Противоопухолевое</mark>" in page and "<mark>иммунитет</mark>" in page
    assert re.search(r"<ins>\s*Противоопухолевое действие", page)  # version 2 added the claim
    assert "added «Противоопухолевое действие, без побочных эффектов.»" in page
    assert "ООО «Восточный Бальзам»" in page and "7701234560" in page and "1207700123454" in page
    assert "seller page of run run-1<br>&lt;urn:uuid:seller-1&gt;" in page and "&lt;urn:uuid:desc-1&gt;" in page
    assert "scrapy evidence verify" in page
    assert re.search(r"Кымдан-2 сыворотка, 10 <mark>ампул</mark>", page)


def test_the_dossier_needs_nothing_from_the_network():
    page = dossier.render_dossier(data())
    tags = tags_of(page)
    assert not [t for t in tags if t[0] in ("script", "link", "iframe", "object", "embed")]
    sources = [a.get("src") or a.get("href") for _t, a in tags if a.get("src") or a.get("href")]
    assert all(s.startswith("data:") for s in sources), sources
    assert "default-src 'none'" in page


@pytest.mark.parametrize("hostile", [HOSTILE_TITLE, *MARKUP])
def test_seller_written_text_stays_inert(hostile):
    observations = [observation(1, "6990.00", 14, "h1", CLAIM_OLD, title=hostile),
                    observation(8, "5990.00", 9, "h1", CLAIM_OLD, title="Кымдан-2 " + hostile)]
    descriptions = [{**data().descriptions[0], "text": hostile + " иммунитет",
                     "characteristics": '{"' + hostile.replace('"', "'") + '": "</td></table><script>x</script>"}'}]
    sellers = [{**data().sellers[0], "seller_legal_name": hostile, "seller_storefront_name": hostile}]
    page = dossier.render_dossier(data(observations=observations, descriptions=descriptions, sellers=sellers,
                                       listing={**data().listing, "url": 'javascript:alert(1)" onclick="x'}))
    tags = tags_of(page)
    assert [t for t, _a in tags if t == "script"] == []
    assert not [a for _t, a in tags if any(k.startswith("on") for k in a)]
    assert "</textarea>" not in page and "<img src=x" not in page
    if "<script>" in hostile:
        assert "&lt;script&gt;" in page


def test_highlight_and_diff_escape_what_they_wrap():
    assert str(dossier.highlight("a <b>иммунитет</b>", ["иммунитет"])) == "a &lt;b&gt;<mark>иммунитет</mark>&lt;/b&gt;"
    assert str(dossier.highlight("Иммунитет и иммунитет", ["иммунитет"])) == (
        "<mark>Иммунитет</mark> и <mark>иммунитет</mark>")
    assert str(dossier.highlight("без побочных эффектов", ["побочных", "без побочных"])) == (
        "<mark>без побочных</mark> эффектов")
    assert str(dossier.word_diff("цена <5>", "цена <6>")) == "цена <del>&lt;5&gt;</del><ins>&lt;6&gt;</ins>"
    assert dossier.diff_summary(OLD, NEW) == {"removed": [], "added": ["Противоопухолевое действие, без побочных "
                                                                       "эффектов."]}


def test_screenshots_are_embedded_as_data_uris_and_only_pngs():
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    shot = {"run_id": "r1", "target_uri": "urn:screenshot:https://x/<script>", "date": "2026-11-01T06:00:00Z",
            "warc_record_id": "<urn:uuid:shot>", "png": png}
    page = dossier.render_dossier(data(screenshots=[shot]))
    assert 'src="data:image/png;base64,iVBORw0KGgo' in page
    assert "urn:screenshot:https://x/&lt;script&gt;" in page
    with pytest.raises(ValueError, match="not a PNG"):
        dossier.render_dossier(data(screenshots=[{**shot, "png": b"<svg onload=alert(1)>"}]))
