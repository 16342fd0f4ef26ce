"""``get(data, *path)``: one step at a time into parsed JSON, None as soon as a step is not there.

Every page object walks its marketplace's JSON with this one reader, so a missing key, an index past the end
of a list, or a step of the wrong type (a string where an object was expected) reads the same everywhere:
as absent (None). Whether absent is allowed is the page object's decision (it raises ``LayoutError`` where a
value must be there); ``get`` itself never raises.
"""

from __future__ import annotations

from typing import Any


def get(data: Any, *path: str | int) -> Any:
    """``data[path[0]][path[1]]…``: a ``str`` step is a key of an object (dict), an ``int`` step an index of a
    list (non-negative; a negative index is not a position a page states and reads as absent). None as soon
    as a step is missing or the value at hand is not of the type the step needs."""
    for key in path:
        if isinstance(key, int) and not isinstance(key, bool):
            if not isinstance(data, list) or not 0 <= key < len(data):
                return None
            data = data[key]
        elif isinstance(key, str):
            if not isinstance(data, dict):
                return None
            data = data.get(key)
        else:
            raise TypeError(f"a JSON path step is a str or an int, not {type(key).__name__}")
    return data
