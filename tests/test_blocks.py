"""detect_block on every real capture (blocked and healthy) and on hand-made rows, one per special case."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sample_files import REAL_SAMPLES, real_sample
from scrapy.http import Headers

from marketplace_spiders.blocks import KINDS, RETRYABLE_KINDS, Block, detect_block

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
    captured = {p.relative_to(REAL_SAMPLES).as_posix() for p in REAL_SAMPLES.glob("*/BLOCKED_*")}
    assert captured, f"no BLOCKED_* samples under {REAL_SAMPLES}"
    assert captured == {row.values[0] for row in REAL_BLOCKS}


# -- every healthy real capture ------------------------------------------------------------------------
def _healthy_samples() -> list[str]:
    """Listed at collection time (names only, nothing read) so a new sample is covered automatically."""
    return sorted(
        p.relative_to(REAL_SAMPLES).as_posix()
        for p in REAL_SAMPLES.rglob("*")
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
                          "body contains 'data-site-key' and 'data-req-uuid'", False)


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
