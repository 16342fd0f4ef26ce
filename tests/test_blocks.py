"""detect_block on every real capture (blocked and healthy) and on hand-made rows, one per special case."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest
from hostile_text import BLOCK_MARKERS, inject_html, inject_json, inject_json_body, replace_html_text
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sample_files import fixtures_of, real_sample, real_sample_files
from scrapy.http import Headers

from marketplace_spiders.blocks import KINDS, RETRYABLE_KINDS, Block, detect_block

ROOT = Path(__file__).resolve().parents[1]

# -- real block captures -------------------------------------------------------------------------------
# (sample, status it arrived with, url, expected type, kind)
REAL_BLOCKS = [
    pytest.param(
        "wildberries/BLOCKED_wb_wbaas_antibot_challenge_2025-12__botass740.html", 200,
        "https://www.wildberries.ru/catalog/210131077/detail.aspx", "html", "wbaas_challenge",
        id="wb_wbaas_challenge_www_page",
    ),
    pytest.param(
        "wildberries/BLOCKED_wb_wbaas_antibot_challenge_2025-12__botass740.html", 498,
        "https://www.wildberries.ru/__internal/card/cards/v4/detail?nm=1", "json", "wbaas_challenge",
        id="wb_wbaas_challenge_on_internal_json_with_498",
    ),
    pytest.param(
        "ozon/BLOCKED_ozon_dostup_ogranichen_2025-06__Minin2707.html", 403,
        "https://www.ozon.ru/product/1998926903/", "html", "ozon_access_restricted",
        id="ozon_dostup_ogranichen_v26_product_page",
    ),
    pytest.param(
        "ozon/BLOCKED_ozon_dostup_ogranichen_v28_2025-12__RuslanTelnov.html", 403,
        "https://www.ozon.ru/api/composer-api.bx/page/json/v2?url=%2Fproduct%2F1%2F", "json",
        "ozon_access_restricted",
        id="ozon_dostup_ogranichen_v28_composer_json",
    ),
    pytest.param(
        "dns_shop/BLOCKED_dns_shop_403_2025-05__roman-shvetsov.html", 403,
        "https://www.dns-shop.ru/search/?q=x", "html", "qrator",
        id="dns_shop_403_guru_meditation",
    ),
    pytest.param(
        "avito/SystemsFailure_parsers_testdata/BLOCKED_avito_dostup_ogranichen_problema_s_IP_captcha_variant.html",
        403, "https://www.avito.ru/krasnodar?q=x", "html", "avito_firewall", id="avito_firewall_captcha_variant",
    ),
    pytest.param(
        "avito/SystemsFailure_parsers_testdata/BLOCKED_avito_dostup_ogranichen_problema_s_IP_wait_variant.html",
        429, "https://www.avito.ru/krasnodar?q=x", "html", "avito_firewall", id="avito_firewall_wait_variant",
    ),
]


@pytest.mark.parametrize(("sample", "status", "url", "expected", "kind"), REAL_BLOCKS)
def test_real_block_capture_is_recognised(sample: str, status: int, url: str, expected: str, kind: str):
    marketplace = sample.split("/")[0]
    body = real_sample(sample).read_bytes()

    headers = {"Content-Type": "text/html; charset=utf-8"}

    block = detect_block(marketplace, status, headers, body, url, expected)

    assert block is not None
    assert (block.marketplace, block.kind, block.retryable) == (marketplace, kind, False)
    assert block.reason


def test_every_blocked_capture_has_a_row():
    captured = {name for name, path in real_sample_files().items() if path.name.startswith("BLOCKED_")}
    assert captured, "no BLOCKED_* real samples"
    assert captured == {row.values[0] for row in REAL_BLOCKS}


# -- every healthy real capture ------------------------------------------------------------------------
def _healthy_samples() -> list[str]:
    """Listed at collection time (names only, nothing read) so a new sample is covered automatically."""
    return sorted(
        name
        for name, p in real_sample_files().items()
        if p.suffix in (".json", ".html")
        and not p.name.startswith("BLOCKED_")
        and not p.name.endswith(".provenance.json")
    )


def _sample_url(path: Path) -> str:
    provenance = path.with_name(path.name.removesuffix(path.suffix) + ".provenance.json")
    if provenance.exists():
        url = json.loads(provenance.read_bytes()).get("url", "")
        if url.startswith("https://"):
            return url.split(" ")[0]
    return f"https://example.invalid/{path.name}"


def test_healthy_samples_are_present():
    marketplaces = {sample.split("/")[0] for sample in _healthy_samples()}
    assert {"wildberries", "ozon", "yandex_market", "megamarket", "avito"} <= marketplaces


@pytest.mark.parametrize("sample", _healthy_samples())
def test_healthy_capture_is_not_flagged(sample: str):
    path = real_sample(sample)
    expected = "json" if path.suffix == ".json" else "html"
    content_type = "application/json; charset=utf-8" if expected == "json" else "text/html; charset=utf-8"

    block = detect_block(sample.split("/")[0], 200, {"Content-Type": content_type}, path.read_bytes(),
                         _sample_url(path), expected)

    assert block is None


# -- hand-made rows ------------------------------------------------------------------------------------
ANGIE_403 = (b"<html>\r\n<head><title>403 Forbidden</title></head>\r\n<body>\r\n"
             b"<center><h1>403 Forbidden</h1></center>\r\n<hr><center>angie</center>\r\n"
             b"</body>\r\n</html>\r\n")
AVITO_FIREWALL = b'{"too-many-requests":{"link":"ru.avito://1/firewall/captcha/show"}}'
MEGAMARKET_CODE7 = json.dumps(
    {"error": "Произошла ошибка. Попробуйте отключить VPN", "code": 7, "ip": "203.0.113.7"},
    ensure_ascii=False,
).encode()
MM_SEARCH = "https://megamarket.ru/api/mobile/v1/catalogService/catalog/search"
YM_CAPTCHA = "https://market.yandex.ru/showcaptcha?cc=1&retpath=https%3A%2F%2Fmarket"
SEARCH_WB = "https://search.wb.ru/exactmatch/ru/common/v9/search?query=x&dest=-1257786"
COMPOSER = "https://www.ozon.ru/api/composer-api.bx/page/json/v2?url=%2Fsearch%2F%3Ftext%3Dx"
YM_SEARCH = "https://market.yandex.ru/search?text=x"

# (marketplace, status, headers, body, url, expected, kind or None)
HAND_MADE = [
    pytest.param("wildberries", 498, {}, b"", "https://www.wildberries.ru/__internal/u-search/x", "json",
                 "status_498", id="wb_internal_498_empty_body"),
    pytest.param("wildberries", 429, {}, b"", SEARCH_WB, "json", "rate_limited", id="wb_search_burst_429"),
    pytest.param("citilink", 429, {}, b"<html>Too Many Requests</html>", "https://www.citilink.ru/", "html",
                 "rate_limited", id="citilink_whole_domain_429"),
    pytest.param("wildberries", 403, {"Server": "angie", "Content-Type": "text/html"}, ANGIE_403,
                 "https://card.wb.ru/cards/v4/detail?nm=1", "json", "tls_fingerprint_403",
                 id="wb_card_403_angie_html_tls_fingerprint"),
    pytest.param("wildberries", 403, Headers({"Server": "angie"}), b"\xef\xbb\xbf \n" + ANGIE_403, SEARCH_WB,
                 "json", "tls_fingerprint_403", id="wb_403_bom_and_whitespace_before_html_scrapy_headers"),
    pytest.param("ozon", 307, {"Location": COMPOSER + "&__rr=2"}, b"", COMPOSER + "&__rr=1", "json",
                 "ozon_redirect_loop", id="ozon_307_rr_self_redirect"),
    pytest.param("ozon", 307, Headers({"Location": COMPOSER + "&__rr=1"}), b"", COMPOSER, "json",
                 "ozon_redirect_loop", id="ozon_307_first_hop_location_only"),
    pytest.param("ozon", 200, {}, b'{"widgetStates":{"x":"{\\"nextPage\\":\\"/search/?__rr=1&page=2\\"}"}}',
                 COMPOSER, "json", None, id="ozon_200_with_rr_in_paginator_is_healthy"),
    pytest.param("ozon", 200, {}, b'{"widgetStates":{}}', COMPOSER + "%26__rr%3D1%26page%3D2", "json", None,
                 id="ozon_200_page_two_followed_from_a_paginator_link_with_rr"),
    pytest.param("yandex_market", 302, {"Location": YM_CAPTCHA}, b"", YM_SEARCH, "html", "ym_smartcaptcha",
                 id="ym_302_to_showcaptcha"),
    pytest.param("yandex_market", 200, {}, b"<html><div class='CheckboxCaptcha'>", YM_CAPTCHA, "html",
                 "ym_smartcaptcha", id="ym_redirect_followed_to_showcaptcha"),
    pytest.param("yandex_market", 200, {}, b'<html><form id="checkbox_captcha_form">', YM_SEARCH, "html",
                 "ym_smartcaptcha", id="ym_checkbox_captcha_body"),
    pytest.param("yandex_market", 200, {}, b'<html><div data-zone-name="captchaService"></div>' + b"x" * 500,
                 YM_SEARCH, "html", None, id="ym_preloaded_captcha_widget_is_healthy"),
    pytest.param("yandex_market", 302, {}, b"", YM_SEARCH, "html", "empty_302",
                 id="ym_transient_302_empty_body"),
    pytest.param("yandex_market", 302, {"Location": "https://market.yandex.ru/card/x/1"}, b"", YM_SEARCH,
                 "html", None, id="redirect_with_somewhere_to_go_is_not_a_block"),
    pytest.param("megamarket", 200, {"Content-Type": "application/json"}, MEGAMARKET_CODE7, MM_SEARCH, "json",
                 "megamarket_code7", id="megamarket_code7_vpn_ip_block"),
    pytest.param("megamarket", 200, {}, b'{"success":false,"code":7}', MM_SEARCH, "json", None,
                 id="megamarket_code7_without_ip_is_not_the_ip_block"),
    pytest.param("avito", 403, {"Content-Type": "application/json"}, AVITO_FIREWALL,
                 "https://www.avito.ru/web/1/js/items?q=x", "json", "avito_firewall",
                 id="avito_js_items_firewall_captcha_json"),
    pytest.param("avito", 403, {}, "<html><h2>Доступ ограничен: проблема с IP</h2></html>".encode(),
                 "https://www.avito.ru/moskva?q=x", "html", "avito_firewall", id="avito_ip_problem_page"),
    pytest.param("citilink", 200, {}, b'<html><script src="/__qrator/qauth_utm_v2.js"></script>',
                 "https://www.citilink.ru/", "html", "qrator", id="citilink_qrator_js_challenge"),
    pytest.param("dns_shop", 401, {}, b"", "https://www.dns-shop.ru/", "html", "qrator",
                 id="dns_401_empty_body"),
    pytest.param("ozon", 403, {}, b"{}", COMPOSER, "json", "forbidden", id="other_403_is_forbidden"),
    pytest.param("wildberries", 200, {"Content-Type": "text/html"}, b"\n  <!DOCTYPE html><html></html>",
                 "https://card.wb.ru/cards/v4/detail?nm=1", "json", "json_endpoint_html",
                 id="json_endpoint_answering_html"),
    pytest.param("detmir", 200, {}, b'{"status":404}', "https://api.detmir.ru/v2/products/1", "json", None,
                 id="detmir_200_with_status_404_is_not_a_block"),
    pytest.param("wildberries", 200, {}, b"", SEARCH_WB, "json", None, id="empty_200_is_not_a_block"),
    pytest.param("wildberries", 500, {}, b"<html>500</html>", SEARCH_WB, "html", None,
                 id="server_error_is_not_a_block"),
]


@pytest.mark.parametrize(("marketplace", "status", "headers", "body", "url", "expected", "kind"), HAND_MADE)
def test_hand_made_rows(marketplace, status, headers, body, url, expected, kind):
    block = detect_block(marketplace, status, headers, body, url, expected)

    if kind is None:
        assert block is None
    else:
        assert block is not None
        assert block.kind == kind
        assert block.retryable is (kind in RETRYABLE_KINDS)
        assert block.marketplace == marketplace


def test_reason_names_the_marker_found():
    body = real_sample("wildberries/BLOCKED_wb_wbaas_antibot_challenge_2025-12__botass740.html").read_bytes()

    block = detect_block("wildberries", 200, {}, body, "https://www.wildberries.ru/", "html")

    assert block is not None and "__wbaas/challenges/antibot" in block.reason


def test_wbaas_ids_without_script_path_still_match():
    body = b'<html><b id="s-key" data-site-key="7400"></b><div id="r-uuid" data-req-uuid="6ea0"></div></html>'

    block = detect_block("wildberries", 200, {}, body, "https://www.wildberries.ru/", "html")

    assert block == Block("wildberries", "wbaas_challenge",
                          "elements carry 'data-site-key' and 'data-req-uuid' attributes", False)


def test_markers_past_the_head_window_are_not_searched():
    body = b"<html>" + b" " * (64 * 1024) + b"/__wbaas/challenges/antibot/"

    assert detect_block("wildberries", 200, {}, body, "https://www.wildberries.ru/", "html") is None


# -- properties ----------------------------------------------------------------------------------------
MARKETPLACES = st.sampled_from(["wildberries", "ozon", "yandex_market", "megamarket", "avito", "dns_shop"])
HEADER_DICTS = st.one_of(
    st.dictionaries(st.text(max_size=20), st.text(max_size=40), max_size=4),
    st.dictionaries(st.binary(max_size=20), st.lists(st.binary(max_size=40), max_size=2), max_size=4),
    st.sampled_from([{}, {"Location": "/showcaptcha"}, {"location": "https://x/?__rr=1"}]),
)
BODIES = st.one_of(
    st.binary(max_size=2048),
    st.sampled_from([b"", b"{", b'{"code":7,"ip":1}', b"\xef\xbb\xbf<", b'{"a":' + b"[" * 4000]),
)


@settings(max_examples=200, deadline=None)
@given(
    marketplace=st.one_of(MARKETPLACES, st.text(max_size=12)),
    status=st.integers(min_value=-1, max_value=1000),
    headers=HEADER_DICTS,
    body=BODIES,
    url=st.text(max_size=80),
    expected=st.sampled_from(["json", "html", ""]),
)
def test_detect_block_never_raises(marketplace, status, headers, body, url, expected):
    block = detect_block(marketplace, status, headers, body, url, expected)

    assert block is None or (block.kind in KINDS and block.reason and block.marketplace == marketplace)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=10,
)


@settings(max_examples=100, deadline=None)
@given(
    document=st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=6),
    indent=st.sampled_from([None, 1]),
)
def test_a_json_document_without_markers_served_200_is_not_a_block(document, indent):
    body = json.dumps(document, ensure_ascii=False, indent=indent).encode()
    # Skip the (rare) documents where the generator spelled a real block marker.
    markers = (b"captcha", b"__qrator", b"Guru", b"fab_chlg_", b"abt-chal", b"data-")
    assume(not any(marker in body for marker in markers))
    assume(not (document.get("code") == 7 and "ip" in document))

    headers = {"Content-Type": "application/json"}

    assert detect_block("wildberries", 200, headers, body, SEARCH_WB, "json") is None


# -- seller-written text never changes the verdict ------------------------------------------------------
# Healthy real samples of the three monitored marketplaces: (sample, url, expected body).
SELLER_TEXT_SAMPLES = [
    ("wildberries/ru-marketplace-mcp_fixtures/card_v4_live.json", "https://card.wb.ru/cards/v4/detail?nm=1", "json"),
    ("wildberries/ru-marketplace-mcp_fixtures/search_v9_live.json", SEARCH_WB, "json"),
    ("wildberries/basket_card_json__compact__RuslanTelnov_179790764.json",
     "https://basket-12.wbbasket.ru/vol1797/part179790/179790764/info/ru/card.json", "json"),
    ("ozon/krein15_fixtures/ozon_product.json", COMPOSER, "json"),
    ("ozon/ru-marketplace-mcp_fixtures/search_composer_live.json", COMPOSER, "json"),
    ("ozon/ozon_product_page_1998926903_2025-12__botass740.html", "https://www.ozon.ru/product/1998926903/", "html"),
    ("ozon/ozon_search_page_kartina_2025-12__botass740.html", "https://www.ozon.ru/search/?text=x", "html"),
    ("yandex_market/yandex_market_product_page_2025-05__roman-shvetsov.html",
     "https://market.yandex.ru/product--x/1", "html"),
    ("yandex_market/ru-marketplace-mcp_fixtures/card_washer.html", "https://market.yandex.ru/product--x/1", "html"),
    ("yandex_market/ru-marketplace-mcp_fixtures/search_washer.html", YM_SEARCH, "html"),
]
SELLER_TEXT_IDS = [sample.rsplit("/", 1)[-1].split(".")[0] for sample, _, _ in SELLER_TEXT_SAMPLES]


def _statuses(expected: str) -> tuple[int, ...]:
    return (200, 404) if expected == "json" else (200, 404, 410)


@pytest.mark.parametrize("marker", BLOCK_MARKERS)
@pytest.mark.parametrize(("sample", "url", "expected"), SELLER_TEXT_SAMPLES, ids=SELLER_TEXT_IDS)
def test_block_marker_in_every_seller_text_field_is_not_a_block(sample, url, expected, marker):
    """The marker appended to every string of the JSON (nested widgetStates included), or to every text node,
    free-text attribute and inline state blob of the HTML page, within the 64 KB head."""
    raw = real_sample(sample).read_bytes()
    marketplace = sample.split("/")[0]
    if expected == "json":
        body = inject_json_body(raw, lambda value: value + " " + marker)
    else:
        body = inject_html(raw.decode("utf-8"), " " + marker).encode()
    content_type = "application/json" if expected == "json" else "text/html; charset=utf-8"

    for status in _statuses(expected):
        assert detect_block(marketplace, status, {"Content-Type": content_type}, body, url, expected) is None


@pytest.mark.parametrize("marker", BLOCK_MARKERS)
@pytest.mark.parametrize(("sample", "url", "expected"), SELLER_TEXT_SAMPLES, ids=SELLER_TEXT_IDS)
def test_title_that_is_exactly_a_block_marker_is_not_a_block(sample, url, expected, marker):
    """The product's own name replaced by the marker everywhere it is written (titles, JSON, <h1>, <title>)."""
    raw = real_sample(sample).read_bytes()
    marketplace = sample.split("/")[0]
    if expected == "json":
        body = inject_json_body(raw, lambda value: marker if len(value) > 12 and " " in value else value)
    else:
        from parsel import Selector

        text = raw.decode("utf-8")
        name = " ".join(" ".join(Selector(text=text).css("h1 ::text").getall()).split())
        body = (replace_html_text(text, name, marker) if name else inject_html(text, marker)).encode()

    assert body != raw
    assert detect_block(marketplace, 200, {}, body, url, expected) is None


@settings(max_examples=150, deadline=None)
@given(
    document=st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=6),
    marker=st.sampled_from(BLOCK_MARKERS),
    indent=st.sampled_from([None, 1]),
)
def test_any_json_document_with_markers_in_its_strings_served_200_is_not_a_block(document, marker, indent):
    body = json.dumps(inject_json(document, lambda value: value + marker), ensure_ascii=False, indent=indent).encode()
    assume(not (str(document.get("code")) == "7" and "ip" in document) and "too-many-requests" not in document)

    for expected in ("json", "html"):
        assert detect_block("wildberries", 200, {"Content-Type": "application/json"}, body, SEARCH_WB, expected) is None


def test_json_body_with_marker_is_not_a_block_even_when_it_does_not_parse():
    """A truncated JSON body is malformed data (the page object says so loudly), not a challenge page."""
    body = b'{"products": [{"id": 1, "name": "Guru meditation SmartCaptcha /showcaptcha fab_chlg_ abt-challenge'

    assert detect_block("wildberries", 200, {}, body, SEARCH_WB, "json") is None


@pytest.mark.parametrize(("body", "kind"), [
    pytest.param(b'<html><head><title>403</title></head><body>Guru meditation: abc</body></html>', "qrator",
                 id="qrator_wording"),
    pytest.param("<html><body><p>Инцидент: fab_chlg_2025</p></body></html>".encode(), "ozon_access_restricted",
                 id="ozon_incident_id"),
])
def test_block_wording_in_text_counts_only_with_a_block_status(body: bytes, kind: str):
    url = "https://www.ozon.ru/product/1/"

    blocked = detect_block("ozon", 403, {}, body, url, "html")

    assert blocked is not None and blocked.kind == kind
    assert detect_block("ozon", 200, {}, body, url, "html") is None


def test_block_title_on_a_page_the_size_of_a_real_page_is_not_a_block():
    body = "<html><head><title>Доступ ограничен</title></head><body>".encode() + b"<p>x</p>" * 20_000

    assert detect_block("ozon", 200, {}, body, "https://www.ozon.ru/product/1/", "html") is None


def test_product_link_slug_with_marker_words_is_not_a_block():
    body = (b'<html><a href="/product--smartcaptcha-showcaptcha/1">x</a>'
            b'<a href="/showcaptcha/abt-challenge/__qrator/">y</a><img src="/__qrator/x.png"></html>')

    assert detect_block("yandex_market", 200, {}, body, YM_SEARCH, "html") is None


@pytest.mark.parametrize("sample", [row.values[0] for row in REAL_BLOCKS
                                    if not row.values[0].startswith("dns_shop/")])
def test_real_block_page_is_recognised_by_its_markup_whatever_its_status(sample: str):
    body = real_sample(sample).read_bytes()

    block = detect_block(sample.split("/")[0], 200, {}, body, "https://example.invalid/", "html")

    assert block is not None and block.kind != "forbidden"


def test_detail_batch_whose_titles_carry_block_markers_is_read_not_blocked(tmp_path):
    """The issue's case end to end: every marker in the WB detail batch's names/brands/sellers. The batch is
    parsed (no blocked fetch), the run is not degraded for it, and run 2's observations carry the names."""
    from marketplace_spiders import demo

    runs = fixtures_of("wildberries") / "timeline"
    db = tmp_path / "m.duckdb"
    demo.replay("wildberries", runs / "run-1", db)
    run2 = tmp_path / "run-2"
    shutil.copytree(runs / "run-2", run2)
    suffix = " " + " ".join(BLOCK_MARKERS)
    detail = run2 / "bodies" / "detail.json"
    detail.write_bytes(inject_json_body(detail.read_bytes(), lambda value: value + suffix if " " in value else value))

    demo.replay("wildberries", run2, db)

    with duckdb.connect(str(db), read_only=True) as con:
        blocked, reasons = con.execute("SELECT blocked_count, coalesce(status_reasons, '') FROM crawl_runs "
                                       "ORDER BY started_at DESC LIMIT 1").fetchone()
        outcomes = con.execute("SELECT outcome FROM fetches WHERE page_type = 'detail' "
                               "AND fetched_at >= '2026-11-08'").fetchall()
        titles = con.execute("SELECT title FROM listing_observations WHERE observed_at >= '2026-11-08' "
                             "AND listing_status = 'listed' AND price IS NOT NULL").fetchall()
    assert blocked == 0 and "blocked" not in reasons
    assert outcomes == [("ok",)]
    assert titles and all(title.endswith(suffix) for (title,) in titles)
