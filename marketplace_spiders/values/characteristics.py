"""Characteristic keys and their lookup, one order for every marketplace.

Marketplaces show a product's characteristics as name -> value pairs ("Страна производства" -> "КНДР"); the
same fact goes by several names. ``COUNTRY_KEYS`` and ``MANUFACTURER_KEYS`` list those names in the one
order every page object uses, so a product that states a fact under two names gives the same value on every
marketplace. The order (the first name present wins):

- country: "Страна производства" (where the goods were made: the fact the monitor is about, and the name
  Wildberries and Yandex Market use), then "Страна-изготовитель" (the maker's country, Ozon's name; the same
  fact on every real sample, but a maker may be registered elsewhere than its factory), then "Страна
  изготовления", then "Страна происхождения" (origin, the customs notion, the widest);
- manufacturer: "Производитель", then "Изготовитель", then "Фабрика-производитель".

Names are compared without regard to case and surrounding spaces; the value is returned as written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

COUNTRY_KEYS: tuple[str, ...] = ("Страна производства", "Страна-изготовитель", "Страна изготовления",
                                 "Страна происхождения")
MANUFACTURER_KEYS: tuple[str, ...] = ("Производитель", "Изготовитель", "Фабрика-производитель")
BRAND_KEYS: tuple[str, ...] = ("Бренд",)


def _name(key: str) -> str:
    return " ".join(key.split()).casefold()


def characteristic(chars: Mapping[str, str], keys: Iterable[str]) -> str | None:
    """The value of the first of ``keys`` (in that order) that ``chars`` has, names compared case- and
    space-insensitively; None when it has none of them. When ``chars`` holds one name twice in different
    case, the first one written wins (page order)."""
    by_name: dict[str, str] = {}
    for name, value in chars.items():
        by_name.setdefault(_name(name), value)
    for key in keys:
        found = by_name.get(_name(key))
        if found is not None:
            return found
    return None


def country_of_origin(chars: Mapping[str, str]) -> str | None:
    """Country of manufacture (``COUNTRY_KEYS``)."""
    return characteristic(chars, COUNTRY_KEYS)


def manufacturer(chars: Mapping[str, str]) -> str | None:
    """Manufacturer (``MANUFACTURER_KEYS``)."""
    return characteristic(chars, MANUFACTURER_KEYS)
