"""Value checks and type conversion of settings (used by marketplace_spiders.config; import the checks from
there)."""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


# -- checks -------------------------------------------------------------------------------------------------


def at_least(minimum: float) -> Callable[[Any], str | None]:
    """``check=``: the value must be >= ``minimum`` (None passes)."""
    return lambda value: None if value is None or value >= minimum else f"must be at least {minimum}"


def between(low: float, high: float) -> Callable[[Any], str | None]:
    """``check=``: ``low`` <= value <= ``high`` (None passes)."""
    return lambda value: None if value is None or low <= value <= high else f"must be between {low} and {high}"


def one_of(*choices: Any) -> Callable[[Any], str | None]:
    """``check=``: the value must be one of ``choices`` (None passes)."""
    return lambda value: None if value is None or value in choices else f"must be one of {list(choices)}"


# -- conversion ---------------------------------------------------------------------------------------------


def _to_bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int) and raw in (0, 1):
        return bool(raw)
    if isinstance(raw, str) and raw.strip().lower() in _TRUE | _FALSE:
        return raw.strip().lower() in _TRUE
    raise ValueError("is not a boolean (true/false, 1/0, yes/no, on/off)")


def _to_int(raw: Any) -> int:
    if isinstance(raw, bool):
        raise ValueError("is not an integer")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    if isinstance(raw, str):
        try:
            return int(raw.strip().replace("_", ""))
        except ValueError:
            pass
    raise ValueError("is not an integer")


def _to_float(raw: Any) -> float:
    if isinstance(raw, bool):
        raise ValueError("is not a number")
    if isinstance(raw, (int, float, Decimal)):
        value = float(raw)
    elif isinstance(raw, str):
        try:
            value = float(raw.strip())
        except ValueError:
            raise ValueError("is not a number") from None
    else:
        raise ValueError("is not a number")
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError("is not a finite number")
    return value


def _to_decimal(raw: Any) -> Decimal:
    if isinstance(raw, (bool, float)):
        raise ValueError("is not a decimal number (give it as text or an int)")
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        raise ValueError("is not a decimal number") from None
    if not value.is_finite():
        raise ValueError("is not a finite decimal number")
    return value


def _to_str(raw: Any) -> str:
    if isinstance(raw, str):
        return raw
    if isinstance(raw, (int, float, Decimal, Path)) and not isinstance(raw, bool):
        return str(raw)
    raise ValueError("is not text")


def _to_json(kind: type) -> Callable[[Any], Any]:
    def convert(raw: Any) -> Any:
        value = raw
        if isinstance(raw, str):
            try:
                value = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise ValueError(f"is not valid JSON ({exc.msg} at character {exc.pos})") from None
        elif hasattr(raw, "copy_to_dict"):  # a Scrapy BaseSettings nested in the settings
            value = raw.copy_to_dict()
        if kind is list and isinstance(value, tuple):
            value = list(value)
        if not isinstance(value, kind):
            raise ValueError(f"is not a JSON {'object' if kind is dict else 'array'}")
        return value
    return convert


_CONVERTERS: dict[Any, Callable[[Any], Any]] = {
    bool: _to_bool, int: _to_int, float: _to_float, str: _to_str, Decimal: _to_decimal,
    Path: lambda raw: Path(_to_str(raw)),
}


def converter(annotation: Any) -> tuple[Callable[[Any], Any], bool]:
    """(converter, optional) for a field annotation."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) != 1 or len(args) == len(typing.get_args(annotation)):
            raise TypeError(f"unsupported setting type {annotation!r} (use X or X | None)")
        return converter(args[0])[0], True
    base = origin or annotation
    if base in (dict, list):
        return _to_json(base), False
    if base in _CONVERTERS:
        return _CONVERTERS[base], False
    raise TypeError(f"unsupported setting type {annotation!r}")
