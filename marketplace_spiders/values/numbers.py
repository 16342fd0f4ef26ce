"""Counts and ratings, whether the marketplace sends them as numbers or as strings ("151", "1 300 отзывов")."""

from __future__ import annotations

import re
from typing import Any

_COUNT = re.compile(r"\d[\d\s\u00a0\u2009\u202f\u2007]*")
# abbreviated counts ("1,2K", "3 тыс.") cannot be read exactly: refused rather than guessed
_ABBREVIATED = re.compile(r"\d\s*(?:[KMКМ]\b|тыс|млн)", re.IGNORECASE)
_RATING = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*(?:/\s*5)?\s*$")


def parse_count(value: Any) -> int | None:
    """A whole non-negative count: 151, 151.0, "151", "1 300 отзывов" -> int; None when there is none or it
    cannot be read exactly (a bool, a fraction, "1,2K", a negative number)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float):
        return int(value) if value.is_integer() and value >= 0 else None
    if not isinstance(value, str) or _ABBREVIATED.search(value):
        return None
    text = value.strip()
    match = _COUNT.search(text)
    if not match:
        return None
    before, after = text[:match.start()], text[match.end():]
    if before.endswith(("-", "−")) or after.startswith((".", ",")) and after[1:2].isdigit():
        return None
    return int(re.sub(r"\D", "", match.group(0)))


def parse_rating(value: Any, scale: float = 5.0) -> float | None:
    """A rating on a 0..``scale`` scale: 4.8, "4,8", "4.8 / 5" -> float; None when absent or out of range."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        match = _RATING.match(value)
        if not match:
            return None
        number = float(match.group(1).replace(",", "."))
    else:
        return None
    return number if 0 <= number <= scale else None
