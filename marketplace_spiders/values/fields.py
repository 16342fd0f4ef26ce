"""Text and id fields a marketplace sends in JSON: present means readable, or it is a layout error.

``text_field`` and ``id_field`` return None only when the value is absent (None); a value of the wrong kind (a
boolean, a list, an object, a float id) raises ``LayoutError`` naming the key, never its ``str()``.
"""

from __future__ import annotations

from typing import Any

from marketplace_spiders.pages.errors import LayoutError


def text_field(value: Any, key: str = "value") -> str | None:
    """A text (or a number shown as text) stripped; None when absent or blank."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise LayoutError(f"'{key}' is not text: {value!r:.60}")
    return str(value).strip() or None


def id_field(value: Any, key: str) -> str | None:
    """An id sent as a non-negative int or a string of ASCII digits; None when absent."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        return value.strip()
    raise LayoutError(f"'{key}' is not an id: {value!r:.60}")
