"""Page-object cases: one schema for every marketplace's hand-made (``fixtures/pages/<case>/``) and generated
(``fixtures/drift/**/<case>/``) cases, read by one runner (``tests/test_page_cases.py``).

A case is a folder with three files:

``meta.json``
    ``url``, ``status``, ``headers`` (``{name: [values]}``), ``recorded_at`` (ISO UTC; it is the
    ``observed_at`` every method receives), ``kind`` (``http`` | ``browser``), ``body_file`` (the body, bytes
    as the callback received them); ``page`` (``"<module>:<Class>"``, the page object; a module starting with
    ``.`` is relative to the marketplace's package, e.g. ``".pages:WbDetailPage"``); ``args`` (``{name: value}``:
    the arguments the page object's constructor and methods take by parameter name, e.g. ``requested_ids``,
    ``seller_id``, ``term``, ``page``; a dict given for a dataclass-typed parameter builds that dataclass);
    ``source`` (the real sample it derives from, or ``"constructed: <why>"``); ``why`` (what makes the case
    special); ``transformation`` (generated cases: what the generator changed).

``expected.json``
    Either ``{"<method>": <expected>, ...}``: each method of the page object is called (parameters from
    ``args``, ``observed_at`` from ``recorded_at``) and compared with only the fields that matter:

    - a dict for an object result: each field equals the attribute (or key) of the result;
    - a list for a list result: same length, each element compared as above (or equal, for scalars);
    - ``{"@by": "<field>", "<value>": {fields}, ...}`` for a list result matched by a key field (the
      listed elements must be present; others are not checked);
    - a scalar: the result equals it;
    - ``"@any"``: the method is called and must not raise; its result is not compared (a method the spider
      calls on that page whose values the case is not about).

    Money is Decimal: an expected string for a Decimal value must equal ``str(value)`` (``"1468.00"``).
    Or ``{"error": {"type": "LayoutError", "match": "<regex>", "methods": ["to_item", ...]}}``: building the
    page object and calling ``methods`` in order (parameters as above) must raise that error type (or a
    subclass) with a message the regex finds; the case fails if no error, or another error, is raised.

Responses are rebuilt with their real URL, status and headers (``response_of``); the response class follows the
headers and body the way Scrapy's downloader picks it.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import json
import re
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.responsetypes import responsetypes

from marketplace_spiders.marketplaces.descriptor import Marketplace

META_KEYS = ("url", "status", "headers", "recorded_at", "kind", "body_file", "page", "args", "source")
"""Keys every meta.json has (``why`` and, for generated cases, ``transformation`` too)."""
CASE_SETS = ("pages", "drift")
ANY = "@any"


@dataclass(frozen=True)
class PageCase:
    slug: str
    folder: Path
    meta: dict[str, Any]
    expected: dict[str, Any]
    package: str
    """The marketplace's package (``.module`` in ``page`` is relative to it)."""

    @property
    def case_id(self) -> str:
        """"<slug>/<set>/<case>" (the case's path under the marketplace's fixtures folder)."""
        return "/".join((self.slug, *self.relative_parts))

    @property
    def relative_parts(self) -> tuple[str, ...]:
        """("<set>", ..., "<case>"): the folder's path under the marketplace's fixtures folder."""
        parts = self.folder.parts
        return parts[len(parts) - 1 - parts[::-1].index("fixtures") + 1:]


def read_case(slug: str, folder: Path, package: str) -> PageCase:
    meta = json.loads((folder / "meta.json").read_text("utf-8"))
    expected = json.loads((folder / "expected.json").read_text("utf-8"))
    return PageCase(slug, folder, meta, expected, package)


def cases_of(marketplace: Marketplace) -> Iterator[PageCase]:
    """Every case folder (a folder holding expected.json) of the marketplace's fixtures/pages and fixtures/drift,
    sorted."""
    package = marketplace.spiders[0].partition(":")[0].rpartition(".")[0]
    for name in CASE_SETS:
        root = marketplace.fixtures_dir / name
        if root.is_dir():
            for expected in sorted(root.rglob("expected.json")):
                yield read_case(marketplace.slug, expected.parent, package)


def response_of(case: PageCase) -> Response:
    """The saved response with its real URL, status and headers."""
    meta = case.meta
    body = (case.folder / meta["body_file"]).read_bytes()
    headers = {name: values for name, values in meta["headers"].items()}
    flat = {name: values[0] for name, values in headers.items() if values}
    cls = responsetypes.from_args(headers=flat, url=meta["url"], body=body)
    if not issubclass(cls, TextResponse):
        cls = HtmlResponse if meta["body_file"].endswith(".html") else TextResponse
    return cls(url=meta["url"], status=meta["status"], headers=headers, body=body, encoding="utf-8")


def page_class(case: PageCase) -> type:
    module, _, name = case.meta["page"].partition(":")
    return getattr(importlib.import_module(module, case.package if module.startswith(".") else None), name)


def _arguments(function: Any, case: PageCase, observed_at: datetime, skip: int) -> dict[str, Any]:
    args = case.meta.get("args", {})
    hints = typing.get_type_hints(function)
    found: dict[str, Any] = {}
    for parameter in list(inspect.signature(function).parameters.values())[skip:]:
        if parameter.name == "observed_at" and "observed_at" not in args:
            found["observed_at"] = observed_at
        elif parameter.name in args:
            value, hint = args[parameter.name], hints.get(parameter.name)
            if isinstance(value, dict) and dataclasses.is_dataclass(hint):
                value = hint(**value)
            found[parameter.name] = value
    return found


def build_page(case: PageCase, response: Response | None = None) -> Any:
    cls = page_class(case)
    response = response or response_of(case)
    extra = _arguments(cls.__init__, case, observed_at_of(case), skip=2)
    return cls(response, **extra)


def call(page: Any, method: str, case: PageCase) -> Any:
    bound = getattr(page, method)
    return bound(**_arguments(bound, case, observed_at_of(case), skip=0))


def observed_at_of(case: PageCase) -> datetime:
    return datetime.fromisoformat(case.meta["recorded_at"])


def _same(got: Any, want: Any) -> bool:
    if isinstance(got, Decimal):
        return str(got) == want if isinstance(want, str) else got == Decimal(str(want))
    if isinstance(got, bool) or isinstance(want, bool):
        return type(got) is type(want) and got == want
    return got == want


def _field(obj: Any, name: str) -> Any:
    if isinstance(obj, dict):
        return obj[name] if name in obj else _Missing
    return getattr(obj, name, _Missing)


class _Missing:
    """A field the result does not have."""


def differences(got: Any, want: Any, where: str) -> list[str]:
    """Every field of ``got`` that differs from ``want`` ("<where>.<field>: got …, want …")."""
    if isinstance(want, dict) and "@by" in want:
        if not isinstance(got, list):
            return [f"{where}: got {got!r}, want a list matched by {want['@by']}"]
        key = want["@by"]
        by = {str(_field(element, key)): element for element in got}
        out: list[str] = []
        for value, fields in want.items():
            if value == "@by":
                continue
            if value not in by:
                out.append(f"{where}[{key}={value}]: missing (got {sorted(by)})")
            else:
                out += differences(by[value], fields, f"{where}[{key}={value}]")
        return out
    if isinstance(want, dict) and not isinstance(got, dict) and (got is None or not hasattr(got, "__dict__")
                                                                 and not dataclasses.is_dataclass(got)):
        return [f"{where}: got {got!r}, want an object with {sorted(want)}"]
    if isinstance(want, dict):
        if not want:
            return [f"{where}: an expected object names at least one field"]
        out = []
        for name, value in want.items():
            field = _field(got, name)
            if field is _Missing:
                out.append(f"{where}.{name}: missing")
            elif isinstance(value, dict | list) and not isinstance(field, dict | list) or (
                    isinstance(value, list) and isinstance(field, list)):
                out += differences(field, value, f"{where}.{name}")
            elif not _same(field, value):
                out.append(f"{where}.{name}: got {field!r}, want {value!r}")
        return out
    if isinstance(want, list):
        if not isinstance(got, list | tuple):
            return [f"{where}: got {got!r}, want a list of {len(want)}"]
        if len(got) != len(want):
            return [f"{where}: got {len(got)} elements, want {len(want)} ({got!r})"]
        out = []
        for index, (element, wanted) in enumerate(zip(got, want, strict=True)):
            out += differences(element, wanted, f"{where}[{index}]")
        return out
    return [] if _same(got, want) else [f"{where}: got {got!r}, want {want!r}"]


def check(case: PageCase) -> list[str]:
    """What differs between the page object's answer and ``expected.json`` (empty when the case passes)."""
    expected = case.expected
    if "error" in expected:
        return _check_error(case, expected["error"])
    page = build_page(case)
    found: list[str] = []
    for method, want in expected.items():
        got = call(page, method, case)
        if want != ANY:
            found += differences(got, want, method)
    return found


def _check_error(case: PageCase, error: dict[str, Any]) -> list[str]:
    try:
        page = build_page(case)
        results = [call(page, method, case) for method in error.get("methods", [])]
    except Exception as raised:  # noqa: BLE001 - the type is the check
        names = [cls.__name__ for cls in type(raised).__mro__]
        if error["type"] not in names:
            return [f"error: got {type(raised).__name__}: {raised}, want {error['type']}"]
        if not re.search(error.get("match", ""), str(raised)):
            return [f"error: {type(raised).__name__} {str(raised)!r} does not match {error['match']!r}"]
        return []
    return [f"error: no {error['type']} raised (got {results!r})"]


def schema_problems(case: PageCase) -> list[str]:
    """What the case's files lack of the schema."""
    out = [f"meta.json: no {key}" for key in META_KEYS if key not in case.meta]
    if case.meta.get("kind") not in ("http", "browser"):
        out.append(f"meta.json: kind {case.meta.get('kind')!r} is not http or browser")
    if not isinstance(case.meta.get("headers"), dict) or not all(
            isinstance(v, list) for v in case.meta.get("headers", {}).values()):
        out.append("meta.json: headers is not {name: [values]}")
    if case.relative_parts[0] == "drift" and not case.meta.get("transformation"):
        out.append("meta.json: a generated case names its transformation")
    if not case.expected:
        out.append("expected.json: empty")
    if "error" in case.expected:
        if set(case.expected) != {"error"} or not {"type", "match"} <= set(case.expected["error"]):
            out.append("expected.json: an error case is {error: {type, match, methods}} only")
    return out
