"""Shared readers of the values every marketplace shows: legal identifiers, money, counts, ratings, JSON paths,
JSON-LD objects and characteristic keys (country of manufacture, manufacturer).

Page objects of every marketplace read these values through this package, so one rule (and one bug fix)
holds everywhere: identifiers are read whole and checked by their control digits, money keeps the
currency the page states, numbers sent as strings are read.
"""

from marketplace_spiders.values.characteristics import (
    BRAND_KEYS,
    COUNTRY_KEYS,
    MANUFACTURER_KEYS,
    characteristic,
    country_of_origin,
    manufacturer,
)
from marketplace_spiders.values.identifiers import (
    LegalIds,
    legal_ids_from_fields,
    read_legal_ids,
    valid_inn,
    valid_ogrn,
)
from marketplace_spiders.values.json_ld import ld_first, ld_from_composer, ld_from_html, ld_objects, parse_ld
from marketplace_spiders.values.json_path import get
from marketplace_spiders.values.money import Money, currency_code, parse_money, read_price
from marketplace_spiders.values.numbers import parse_count, parse_rating

__all__ = [
    "BRAND_KEYS", "COUNTRY_KEYS", "MANUFACTURER_KEYS", "characteristic", "country_of_origin", "get", "ld_first",
    "ld_from_composer", "ld_from_html", "ld_objects", "manufacturer", "parse_ld",
    "LegalIds", "Money", "currency_code", "legal_ids_from_fields", "parse_count", "parse_money", "parse_rating",
    "read_legal_ids", "read_price", "valid_inn", "valid_ogrn",
]
