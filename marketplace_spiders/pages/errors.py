"""Errors page objects raise when a response does not have the layout they know."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any


class LayoutError(ValueError):
    """A required field or structure is missing: the marketplace changed its layout, or this is not a
    product/search response at all (a block page, an error page)."""


_STRUCTURE_ERRORS = (TypeError, AttributeError, KeyError, IndexError, ValueError)


def _name(func: Callable, args: tuple) -> str:
    """The failing method as the page object's own class (``OzonProductPage.to_item``), also when a base class
    defines it."""
    owner = func.__qualname__.rpartition(".")[0]
    if args and owner in {cls.__name__ for cls in type(args[0]).__mro__}:
        return f"{type(args[0]).__name__}.{func.__name__}"
    return func.__qualname__


def _guarded(func: Callable) -> Callable:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except LayoutError:
            raise
        except _STRUCTURE_ERRORS as exc:
            raise LayoutError(f"{_name(func, args)}: unexpected structure ({type(exc).__name__}: {exc})") from exc

    return wrapper


def layout_guard(cls: type) -> type:
    """Class decorator for page objects: an unexpected structure (a value of the wrong type, a missing key)
    surfaces as ``LayoutError`` from every public method and the constructor, never as a bare TypeError."""
    for name, value in list(vars(cls).items()):
        if name == "__init__" or (not name.startswith("_") and callable(value)):
            setattr(cls, name, _guarded(value))
        elif isinstance(value, classmethod):
            setattr(cls, name, classmethod(_guarded(value.__func__)))
    return cls
