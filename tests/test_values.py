"""The shared value readers: legal identifiers, money with currency, counts and ratings (table-driven).

Each row is a case seen on a marketplace or a drifted variant of one; a bug found later gets a row.
"""

from decimal import Decimal

import pytest

from marketplace_spiders.pages.errors import LayoutError
from marketplace_spiders.values import (
    Money,
    currency_code,
    legal_ids_from_fields,
    parse_count,
    parse_money,
    parse_rating,
    read_legal_ids,
    read_price,
    valid_inn,
    valid_ogrn,
)
from marketplace_spiders.values.identifiers import complete_inn, complete_ogrn

# Real, published identifiers of companies (their registry entries are public).
REAL_INNS = ["7707083893", "7736207543", "7721546864", "7704217370"]  # Sberbank, Yandex, Wildberries, Ozon
REAL_OGRNS = ["1027700132195", "1027700229193", "1067746062449", "1027739244741"]
REAL_OGRNIP = "304500116000157"  # the ОГРНИП example of the ФНС format description (15 digits)
PERSON_INN = complete_inn("2540000000")  # a fictional 12-digit INN with valid control digits


@pytest.mark.parametrize("number", REAL_INNS + [PERSON_INN])
def test_valid_inn_accepts_real_numbers(number):
    assert valid_inn(number) == number
    assert valid_inn(f" {number[:4]} {number[4:]} ") == number
    assert valid_inn(int(number)) == number


@pytest.mark.parametrize("number", REAL_OGRNS + [REAL_OGRNIP])
def test_valid_ogrn_accepts_real_numbers(number):
    assert valid_ogrn(number) == number


@pytest.mark.parametrize(
    "case, number",
    [
        ("last_digit_changed", "7707083894"),
        ("first_ten_of_twelve", PERSON_INN[:10]),
        ("eleven_digits", "77070838930"),
        ("twelve_digits_bad_check", PERSON_INN[:-1] + str((int(PERSON_INN[-1]) + 1) % 10)),
        ("letters", "77070838a3"),
        ("bool", True),
        ("negative", -7707083893),
    ],
)
def test_valid_inn_rejects(case, number):
    assert valid_inn(number) is None


@pytest.mark.parametrize(
    "case, number",
    [
        ("check_digit_changed", "1027700132196"),
        ("fourteen_digits", "10277001321950"),
        ("ogrnip_bad_check", "304500116000158"),
        ("fictional_old_fixture", "325253600011111"),
    ],
)
def test_valid_ogrn_rejects(case, number):
    assert valid_ogrn(number) is None


@pytest.mark.parametrize(
    "case, text, inn, ogrn, rejected",
    [
        ("inn_12_digits_whole", f"ИП Ли Ен Чер, ИНН {PERSON_INN}", PERSON_INN, None, 0),
        ("inn_colon", "ИНН: 7707083893", "7707083893", None, 0),
        ("ogrnip_label", f"ОГРНИП {REAL_OGRNIP}", None, REAL_OGRNIP, 0),
        ("ogrnip_spaced_label", f"ОГРН ИП: {REAL_OGRNIP}", None, REAL_OGRNIP, 0),
        ("ogrn_then_inn_one_line", "ОГРН 1027700132195, ИНН 7707083893", "7707083893", "1027700132195", 0),
        ("bare_ogrn_line", "1027700132195", None, "1027700132195", 0),
        ("bare_ogrn_before_inn", "1027700132195, ИНН 7707083893", "7707083893", "1027700132195", 0),
        ("latin_labels", "INN 7707083893 OGRN 1027700132195", "7707083893", "1027700132195", 0),
        ("inn_bad_check", "ИНН 7707083894", None, None, 1),
        ("inn_eleven_digits_not_cut", "ИНН 77070838931", None, None, 1),
        ("inn_13_digits_not_an_ogrn", "ИНН 1027700132195", None, None, 1),
        ("ogrn_bad_check", "ОГРН 1027700132196", None, None, 1),
        ("two_different_inns", "ИНН 7707083893; ИНН 7736207543", None, None, 1),
        ("same_inn_twice", "ИНН 7707083893; ИНН 7707083893", "7707083893", None, 0),
        ("phone_not_an_id", "Телефон 8 800 555 35 35", None, None, 0),
        ("inn_inside_word_ignored", "ВИННИ 7707083893", None, None, 0),
    ],
)
def test_read_legal_ids(case, text, inn, ogrn, rejected):
    ids = read_legal_ids(text)
    assert (ids.inn, ids.ogrn) == (inn, ogrn)
    assert len(ids.rejected) == rejected, ids.rejected


def test_read_legal_ids_over_lines_keeps_raw_text_of_rejects():
    ids = read_legal_ids(["ООО «Ромашка»", "ИНН 7707083894", "1027700132195"])
    assert ids.inn is None and ids.ogrn == "1027700132195"
    assert ids.rejected_text == "ИНН 7707083894: control digits do not match"


def test_legal_ids_from_fields():
    assert legal_ids_from_fields(inn=7707083893, ogrn="1027700132195").inn == "7707083893"
    bad = legal_ids_from_fields(inn="123", ogrn="1027700132196")
    assert (bad.inn, bad.ogrn, len(bad.rejected)) == (None, None, 2)
    assert legal_ids_from_fields(inn=None, ogrn="").rejected == ()


def test_complete_gives_valid_numbers():
    assert valid_inn(complete_inn("254000000")) and valid_inn(complete_inn("2540000000"))
    assert valid_ogrn(complete_ogrn("102770013219")) and valid_ogrn(complete_ogrn("32525360001111"))


@pytest.mark.parametrize(
    "case, value, amount, currency",
    [
        ("thin_space_rouble_sign", "6\u2009815\u2009₽", "6815.00", "RUB"),
        ("nbsp_comma_decimals", "1\xa0298,00", "1298.00", None),
        ("rub_word", "17 940,00 руб", "17940.00", "RUB"),
        ("rub_abbrev_dot", "990 р.", "990.00", "RUB"),
        ("dot_thousands", "1.500", "1500.00", None),
        ("dot_decimal", "1.5", "1.50", None),
        ("comma_thousands", "1,234,567", "1234567.00", None),
        ("both_separators", "1.298,50 ₽", "1298.50", "RUB"),
        ("negative_kept", "-500 ₽", "-500.00", "RUB"),
        ("unicode_minus", "−500 ₽", "-500.00", "RUB"),
        ("tenge_sign", "12 990 ₸", "12990.00", "KZT"),
        ("code_after", "12990 KZT", "12990.00", "KZT"),
        ("from_prefix", "от 500 ₽", "500.00", "RUB"),
        ("integer", 5562, "5562.00", None),
        ("float", 1.5, "1.50", None),
        ("decimal", Decimal("12.3"), "12.30", None),
    ],
)
def test_parse_money(case, value, amount, currency):
    assert parse_money(value) == Money(Decimal(amount), currency)


@pytest.mark.parametrize(
    "case, value",
    [
        ("bool", True),
        ("list", [1]),
        ("words", "цена по запросу"),
        ("two_amounts", "500 ₽ 700 ₽"),
        ("three_decimals_comma", "1,5000"),
        ("mixed_groups", "1.50.0"),
        ("two_currencies", "500 ₽ $"),
        ("nan", float("nan")),
    ],
)
def test_parse_money_refuses(case, value):
    with pytest.raises(LayoutError):
        parse_money(value)


def test_parse_money_empty_is_none():
    assert parse_money(None) is None and parse_money("  ") is None


def test_read_price_currency_rules():
    assert read_price("500") == Money(Decimal("500.00"), "RUB")
    assert read_price(500, stated_currency="KZT") == Money(Decimal("500.00"), "KZT")
    assert read_price("500 ₸") == Money(Decimal("500.00"), "KZT")
    assert read_price("500 ₽", stated_currency="RUR") == Money(Decimal("500.00"), "RUB")
    with pytest.raises(LayoutError):
        read_price("500 ₽", stated_currency="KZT")
    with pytest.raises(LayoutError):
        read_price("500", stated_currency="XX?")


@pytest.mark.parametrize("value, code", [("₽", "RUB"), ("руб.", "RUB"), ("KZT", "KZT"), ("₸", "KZT"),
                                         ("usd", "USD"), ("рупий", None), (5, None)])
def test_currency_code(value, code):
    assert currency_code(value) == code


@pytest.mark.parametrize(
    "case, value, count",
    [
        ("int", 151, 151),
        ("string_number", "151", 151),
        ("label", "1\u2009300 отзывов", 1300),
        ("integral_float", 12.0, 12),
        ("fraction", 12.5, None),
        ("fraction_string", "4.5", None),
        ("abbreviated_k", "1,2K", None),
        ("abbreviated_tys", "3 тыс. отзывов", None),
        ("negative", -3, None),
        ("negative_string", "-3", None),
        ("bool", True, None),
        ("no_number", "нет отзывов", None),
        ("list", [1], None),
    ],
)
def test_parse_count(case, value, count):
    assert parse_count(value) == count


@pytest.mark.parametrize("value, rating", [(4.8, 4.8), ("4,8", 4.8), ("4.8 / 5", 4.8), (5, 5.0), (7, None),
                                          ("хорошо", None), (True, None), (None, None)])
def test_parse_rating(value, rating):
    assert parse_rating(value) == rating


def test_ogrnip_with_remainder_above_nine_is_valid():
    """ОГРНИП whose 14-digit body leaves 10-12 modulo 13: the check digit is the remainder's last digit
    (python-stdnum 2.2 rejects these)."""
    body = next(str(n) for n in range(30450011600010, 30450011600100) if n % 13 >= 10)
    number = body + str(int(body) % 13 % 10)
    assert valid_ogrn(number) == number
    assert valid_ogrn(body + str((int(body) % 13 + 1) % 10)) is None


@pytest.mark.parametrize("value, text", [(None, None), ("  Кымдан-2 ", "Кымдан-2"), (" ", None), (42, "42")])
def test_text_field_reads_text(value, text):
    from marketplace_spiders.values.fields import text_field

    assert text_field(value, "name") == text


@pytest.mark.parametrize("value", [True, [1], {"a": 1}, 1.5])
def test_text_field_of_the_wrong_kind_is_an_error_naming_the_key(value):
    from marketplace_spiders.values.fields import text_field

    with pytest.raises(LayoutError, match="'name' is not text"):
        text_field(value, "name")


@pytest.mark.parametrize("value, ident", [(None, None), (563333, "563333"), (" 563333 ", "563333")])
def test_id_field_reads_ids(value, ident):
    from marketplace_spiders.values.fields import id_field

    assert id_field(value, "nm_id") == ident


@pytest.mark.parametrize("value", [True, [563333], 5.0, -1, "abc", "５６"])
def test_id_field_of_the_wrong_kind_is_an_error_naming_the_key(value):
    from marketplace_spiders.values.fields import id_field

    with pytest.raises(LayoutError, match="'nm_id' is not an id"):
        id_field(value, "nm_id")
