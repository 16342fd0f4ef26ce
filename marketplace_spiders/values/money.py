"""Money as marketplaces show it: an amount (``Decimal``, 2 places) and the currency the page states.

``parse_money`` reads numbers and strings ("6 815 ₽", "1 298,00 руб.", "1.500", "-500 ₽", "12 990 ₸") without
guessing: a sign is kept, a separator followed by exactly three digits groups thousands, one followed by one
or two digits is the decimal point, and text that is neither a number nor a known currency is refused
(``LayoutError``), never read as some other number. The currency is taken from the text when it names one;
``read_price`` then applies the marketplace's default currency only when the page states none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from marketplace_spiders.pages.errors import LayoutError

CENT = Decimal("0.01")

# currency words/symbols -> ISO 4217; matched case-insensitively as whole tokens
CURRENCY_TOKENS: dict[str, str] = {
    "₽": "RUB", "руб": "RUB", "руб.": "RUB", "р": "RUB", "р.": "RUB", "rub": "RUB", "rur": "RUB", "рублей": "RUB",
    "рубля": "RUB", "рубль": "RUB",
    "₸": "KZT", "тг": "KZT", "тг.": "KZT", "kzt": "KZT", "тенге": "KZT",
    "br": "BYN", "byn": "BYN", "бел.руб": "BYN", "бел.руб.": "BYN",
    "$": "USD", "usd": "USD", "€": "EUR", "eur": "EUR", "¥": "CNY", "cny": "CNY", "юаней": "CNY",
    "₩": "KRW", "krw": "KRW", "вон": "KRW", "сум": "UZS", "uzs": "UZS", "֏": "AMD", "amd": "AMD", "сом": "KGS",
    "kgs": "KGS", "₴": "UAH", "uah": "UAH", "грн": "UAH",
}
ISO_CODES = frozenset(CURRENCY_TOKENS.values())
# words that may stand beside a price without changing it
FILLER_WORDS = frozenset({"от", "до", "цена", "за", "шт", "шт.", "штуку", "price", "from", "с", "картой", "без"})

_SPACES = re.compile(r"[\s\u00a0\u2009\u202f\u2007]+")
_NUMBER = re.compile(r"(?P<sign>[-−–])?\s*(?P<num>\d[\d\s\u00a0\u2009\u202f\u2007.,']*)")


@dataclass(frozen=True)
class Money:
    """An amount and its ISO 4217 currency (None when the text named none)."""

    amount: Decimal
    """Signed amount, 2 decimal places."""
    currency: str | None
    """ISO 4217 code stated with the amount, or None."""


def currency_code(value: Any) -> str | None:
    """ISO 4217 code of a currency symbol, word or code ("₽", "руб.", "KZT", "₸"); None when not recognised."""
    if not isinstance(value, str):
        return None
    token = _SPACES.sub("", value).lower()
    if token.upper() in ISO_CODES:
        return token.upper()
    return CURRENCY_TOKENS.get(token)


def _amount(digits: str) -> Decimal:
    """'1 298,00' / '1.500' / '12,5' / "1'200" -> Decimal, by the separator rules of the module docstring."""
    text = _SPACES.sub("", digits).replace("'", "").rstrip(".,")
    separators = [ch for ch in text if ch in ".,"]
    if separators:
        last = max(text.rfind("."), text.rfind(","))
        tail = text[last + 1:]
        kinds = set(separators)
        if len(kinds) == 2:
            # "1.298,00" / "1,298.00": the last separator is the decimal point
            integer = re.sub(r"[.,]", "", text[:last])
            if not 1 <= len(tail) <= 2:
                raise LayoutError(f"money {digits!r}: cannot tell the decimal point")
            text = f"{integer}.{tail}"
        elif len(separators) == 1 and 1 <= len(tail) <= 2:
            text = text.replace(",", ".")
        elif all(len(group) == 3 for group in re.split(r"[.,]", text)[1:]):
            text = re.sub(r"[.,]", "", text)  # thousands groups: "1.500", "1,234,567"
        else:
            raise LayoutError(f"money {digits!r}: separators are neither thousands nor decimals")
    try:
        return Decimal(text)
    except InvalidOperation as exc:
        raise LayoutError(f"money {digits!r} is not a number") from exc


def parse_money(value: Any) -> Money | None:
    """A number or money string -> ``Money`` (currency None unless the text names one); None for None/"".

    Raises ``LayoutError`` for a value that is not money (a bool, a list, text with other words, two
    numbers, an amount with more than two decimals).
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise LayoutError(f"money is a boolean: {value!r}")
    if isinstance(value, int | Decimal):
        return Money(Decimal(value).quantize(CENT), None)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise LayoutError(f"money is not finite: {value!r}")
        return Money(Decimal(str(value)).quantize(CENT), None)
    if not isinstance(value, str):
        raise LayoutError(f"money is a {type(value).__name__}: {value!r:.60}")
    text = value.strip()
    if not text:
        return None
    numbers = list(_NUMBER.finditer(text))
    if not numbers:
        raise LayoutError(f"no amount in money text {value!r:.80}")
    if len(numbers) > 1:
        raise LayoutError(f"several amounts in money text {value!r:.80}")
    match = numbers[0]
    amount = _amount(match.group("num"))
    if amount != amount.quantize(CENT):
        raise LayoutError(f"money {value!r:.80} has more than two decimals")
    if match.group("sign"):
        amount = -amount
    rest = (text[:match.start()] + " " + text[match.end():]).strip()
    currency = None
    for token in rest.split():
        code = currency_code(token) or currency_code(token.strip(".,:;()"))
        if code:
            if currency and currency != code:
                raise LayoutError(f"two currencies in money text {value!r:.80}")
            currency = code
        elif token.lower().strip(".,:;()") not in FILLER_WORDS and token.strip(".,:;()/"):
            raise LayoutError(f"unrecognised word {token!r} in money text {value!r:.80}")
    return Money(amount.quantize(CENT), currency)


def read_price(value: Any, default_currency: str = "RUB", stated_currency: Any = None) -> Money | None:
    """A price as the page shows it, with the currency the page states (``stated_currency`` is a code or
    symbol from a separate field, e.g. JSON-LD ``priceCurrency``); the marketplace's ``default_currency``
    applies only when neither the text nor the field names one. Conflicting currencies raise ``LayoutError``.
    """
    money = parse_money(value)
    if money is None:
        return None
    stated = None
    if stated_currency not in (None, ""):
        stated = currency_code(stated_currency)
        if stated is None:
            raise LayoutError(f"unknown currency {stated_currency!r:.40}")
    if money.currency and stated and money.currency != stated:
        raise LayoutError(f"price {value!r:.40} in {money.currency} but the page says {stated}")
    return Money(money.amount, money.currency or stated or default_currency)
