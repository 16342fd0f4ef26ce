"""Shared readers of the values every marketplace shows: legal identifiers, money, counts, ratings.

Page objects of every marketplace read these values through this package, so one rule (and one bug fix)
holds everywhere: identifiers are read whole and checked by their control digits, money keeps the
currency the page states, numbers sent as strings are read.
"""

from marketplace_spiders.values.identifiers import (
    LegalIds,
    legal_ids_from_fields,
    read_legal_ids,
    valid_inn,
    valid_ogrn,
)
from marketplace_spiders.values.money import Money, currency_code, parse_money, read_price
from marketplace_spiders.values.numbers import parse_count, parse_rating

__all__ = [
    "LegalIds", "Money", "currency_code", "legal_ids_from_fields", "parse_count", "parse_money", "parse_rating",
    "read_legal_ids", "read_price", "valid_inn", "valid_ogrn",
]
