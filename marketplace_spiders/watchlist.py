"""The watchlist of search terms, read from a TOML data file."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path


@dataclass(frozen=True)
class WatchedProduct:
    id: str
    name: str
    terms: tuple[str, ...]
    marketplaces: dict[str, dict] = field(default_factory=dict, hash=False, compare=False)

    def terms_for(self, marketplace: str) -> list[str]:
        override = self.marketplaces.get(marketplace, {})
        terms = list(override.get("terms", self.terms))
        return terms + [t for t in override.get("extra_terms", []) if t not in terms]


@dataclass(frozen=True)
class Watchlist:
    products: tuple[WatchedProduct, ...]

    @classmethod
    def load(cls, path: str | Path | None = None) -> Watchlist:
        if path is None:
            text = resources.files("marketplace_spiders").joinpath("data/watchlist.toml").read_text("utf-8")
        else:
            text = Path(path).read_text(encoding="utf-8")
        data = tomllib.loads(text)
        products = []
        for entry in data.get("product", []):
            if not entry.get("id") or not entry.get("terms"):
                raise ValueError(f"watchlist product without id or terms: {entry!r}")
            products.append(
                WatchedProduct(
                    id=entry["id"],
                    name=entry.get("name", entry["id"]),
                    terms=tuple(entry["terms"]),
                    marketplaces=entry.get("marketplaces", {}),
                )
            )
        return cls(tuple(products))

    def terms_for(self, marketplace: str) -> list[str]:
        """All search terms for one marketplace, de-duplicated, in file order."""
        seen: dict[str, None] = {}
        for product in self.products:
            for term in product.terms_for(marketplace):
                seen.setdefault(term.strip(), None)
        return [t for t in seen if t]


def parse_terms_argument(value: str) -> list[str]:
    """`-a terms="Кымдан-2;Royal Blood-Fresh"` -> ['Кымдан-2', 'Royal Blood-Fresh']."""
    return [t.strip() for t in value.split(";") if t.strip()]
