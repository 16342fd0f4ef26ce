"""The watchlist of search terms, read from a TOML data file and validated before anything searches.

A watchlist file has only ``[[product]]`` tables. Each product has ``id`` (text), ``terms`` (a non-empty
list of non-blank texts), optionally ``name`` (text, default the id) and ``[product.marketplaces.<slug>]``
tables (``slug`` one of :data:`MARKETPLACES`) with ``terms`` (replace the product's terms there) and/or
``extra_terms`` (add to them). Anything else is an error naming the file and the product: a string where
a list belongs (``terms = "Кымдан-2"`` would otherwise be searched as 8 one-letter terms), an unknown key
(a misspelt ``extra_term`` would otherwise be ignored), an unknown marketplace, an empty term list.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from marketplace_spiders import marketplaces
from marketplace_spiders.core_config import WatchlistConfig

# Marketplace slugs a crawl can have (the spiders' names); tests check this against the spider classes.
MARKETPLACES = marketplaces.slugs()
"""The registered marketplaces (``marketplace_spiders/marketplaces/<slug>/``), in their order."""
# Environment variable naming the watchlist when no WATCHLIST_PATH setting / --watchlist argument is given.
WATCHLIST_ENV = "MONITOR_WATCHLIST"
PACKAGED = "marketplace_spiders/data/watchlist.toml"

PRODUCT_KEYS = ("id", "name", "terms", "marketplaces")
OVERRIDE_KEYS = ("terms", "extra_terms")


class WatchlistError(ValueError):
    """A watchlist file that cannot be used; ``errors`` lists every problem found, each naming the file."""

    def __init__(self, source: str, errors: list[str]):
        self.source = source
        self.errors = [f"{source}: {e}" for e in errors]
        super().__init__("invalid watchlist " + "\n".join(self.errors))


@dataclass(frozen=True)
class WatchedProduct:
    id: str
    name: str
    terms: tuple[str, ...]
    marketplaces: dict[str, dict[str, list[str]]] = field(default_factory=dict, hash=False, compare=False)

    def terms_for(self, marketplace: str) -> list[str]:
        override = self.marketplaces.get(marketplace, {})
        terms = list(override.get("terms", self.terms))
        return terms + [t for t in override.get("extra_terms", []) if t not in terms]


def default_path() -> str | None:
    """The watchlist used when none is named: ``$MONITOR_WATCHLIST``, else None (the packaged file): the
    WATCHLIST_PATH setting's own fallback (core_config.WatchlistConfig), so a crawl and the report read one file."""
    return WatchlistConfig.from_settings(None).path


@dataclass(frozen=True)
class Watchlist:
    products: tuple[WatchedProduct, ...]

    @classmethod
    def load(cls, path: str | Path | None = None) -> Watchlist:
        """Read and validate a watchlist file (None: the packaged one); raises WatchlistError."""
        if path is None:
            source = PACKAGED
            text = resources.files("marketplace_spiders").joinpath("data/watchlist.toml").read_text("utf-8")
        else:
            source = str(path)
            try:
                text = Path(path).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise WatchlistError(source, [f"cannot read the file ({exc})"]) from exc
        return cls.parse(text, source)

    @classmethod
    def parse(cls, text: str, source: str = "<watchlist>") -> Watchlist:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise WatchlistError(source, [f"not valid TOML: {exc}"]) from exc
        errors: list[str] = []
        products = _products(data, errors)
        if errors:
            raise WatchlistError(source, errors)
        return cls(tuple(products))

    def terms_for(self, marketplace: str) -> list[str]:
        """All search terms for one marketplace, de-duplicated, in file order."""
        seen: dict[str, None] = {}
        for product in self.products:
            for term in product.terms_for(marketplace):
                seen.setdefault(term.strip(), None)
        return [t for t in seen if t]


def _products(data: dict[str, Any], errors: list[str]) -> list[WatchedProduct]:
    unknown = sorted(set(data) - {"product"})
    if unknown:
        errors.append(f"unknown top-level key(s) {', '.join(map(repr, unknown))} (only [[product]] tables)")
    entries = data.get("product", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        errors.append("'product' must be [[product]] tables")
        return []
    if not entries:
        errors.append("no [[product]] in the watchlist")
    products, ids = [], set()
    for number, entry in enumerate(entries, 1):
        product = _product(entry, number, errors)
        if product is None:
            continue
        if product.id in ids:
            errors.append(f"product {product.id!r}: id used by another product")
        ids.add(product.id)
        products.append(product)
    return products


def _product(entry: dict[str, Any], number: int, errors: list[str]) -> WatchedProduct | None:
    pid = entry.get("id")
    where = f"product {pid!r}" if isinstance(pid, str) and pid.strip() else f"product #{number}"
    before = len(errors)
    if not isinstance(pid, str) or not pid.strip():
        errors.append(f"{where}: 'id' must be a non-empty text, got {_shown(pid)}")
    unknown = sorted(set(entry) - set(PRODUCT_KEYS))
    if unknown:
        errors.append(f"{where}: unknown key(s) {', '.join(map(repr, unknown))} (known: {', '.join(PRODUCT_KEYS)})")
    name = entry.get("name", pid)
    if "name" in entry and (not isinstance(name, str) or not name.strip()):
        errors.append(f"{where}: 'name' must be a non-empty text, got {_shown(name)}")
    if "terms" not in entry:
        errors.append(f"{where}: 'terms' is missing (a list of search terms)")
    terms = _terms(entry.get("terms", []), f"{where}: 'terms'", errors) if "terms" in entry else []
    marketplaces = _overrides(entry.get("marketplaces", {}), where, errors)
    if len(errors) > before:
        return None
    return WatchedProduct(id=pid.strip(), name=name.strip(), terms=tuple(terms), marketplaces=marketplaces)


def _overrides(value: Any, where: str, errors: list[str]) -> dict[str, dict[str, list[str]]]:
    if not isinstance(value, dict):
        errors.append(f"{where}: 'marketplaces' must be [product.marketplaces.<slug>] tables, got {_shown(value)}")
        return {}
    result = {}
    for slug, override in value.items():
        here = f"{where}: marketplace {slug!r}"
        if slug not in MARKETPLACES:
            errors.append(f"{here}: unknown marketplace (known: {', '.join(MARKETPLACES)})")
            continue
        if not isinstance(override, dict):
            errors.append(f"{here}: must be a table with 'terms' and/or 'extra_terms', got {_shown(override)}")
            continue
        unknown = sorted(set(override) - set(OVERRIDE_KEYS))
        if unknown:
            errors.append(f"{here}: unknown key(s) {', '.join(map(repr, unknown))} (known: terms, extra_terms)")
        if not set(override) & set(OVERRIDE_KEYS):
            errors.append(f"{here}: needs 'terms' or 'extra_terms'")
        result[slug] = {k: _terms(override[k], f"{here}: {k!r}", errors) for k in OVERRIDE_KEYS if k in override}
    return result


def _terms(value: Any, where: str, errors: list[str]) -> list[str]:
    if isinstance(value, str):
        errors.append(f"{where} must be a list of texts, got the text {value!r} (write [{_toml_string(value)}])")
        return []
    if not isinstance(value, list):
        errors.append(f"{where} must be a list of texts, got {_shown(value)}")
        return []
    bad = [v for v in value if not isinstance(v, str) or not v.strip()]
    if bad:
        errors.append(f"{where}: every term must be a non-blank text, got {', '.join(_shown(v) for v in bad)}")
        return []
    if not value:
        errors.append(f"{where} is empty (a product needs at least one search term)")
        return []
    return list(dict.fromkeys(v.strip() for v in value))


def _shown(value: Any) -> str:
    return f"{type(value).__name__} {value!r}"


def _toml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def parse_terms_argument(value: str) -> list[str]:
    """`-a terms="Кымдан-2;Royal Blood-Fresh"` -> ['Кымдан-2', 'Royal Blood-Fresh']."""
    return [t.strip() for t in value.split(";") if t.strip()]
