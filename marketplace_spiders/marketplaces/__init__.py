"""The registry of marketplaces: every subpackage of this folder (``<slug>/``, not ``_template``) is one
marketplace and exports one :class:`~marketplace_spiders.marketplaces.descriptor.Marketplace` as
``MARKETPLACE``. Block detection, the watchlist, ``scrapy crawlall``/``scrapy list`` (``SPIDER_MODULES``), the
demo, the report and the fuzz tests ask this registry which marketplaces exist; nothing else lists them.

Importing a marketplace's package imports only its descriptor and block markers (never its spider), so the
registry can be used from anywhere without an import cycle. CONTRIBUTING.md says how to add one.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Iterable
from pathlib import Path

from marketplace_spiders.marketplaces.descriptor import BlockKind, Marketplace

__all__ = ["BlockKind", "Marketplace", "discover", "get", "marketplaces", "markdown_table", "slugs", "spider_modules"]


def discover(paths: Iterable[str | Path], package: str) -> tuple[Marketplace, ...]:
    """The marketplaces found as subpackages of ``package`` (whose folders are ``paths``), in their order.

    A subpackage whose name starts with ``_`` is skipped (``_template``). A subpackage without a
    ``MARKETPLACE``, or whose descriptor's slug is not its folder name, is an error: the registry never
    guesses."""
    found = []
    for info in pkgutil.iter_modules([str(p) for p in paths]):
        if not info.ispkg or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package}.{info.name}")
        descriptor = getattr(module, "MARKETPLACE", None)
        if not isinstance(descriptor, Marketplace):
            raise TypeError(f"{package}.{info.name} exports no MARKETPLACE descriptor")
        if descriptor.slug != info.name:
            raise ValueError(f"{package}.{info.name}: descriptor slug {descriptor.slug!r} is not the folder name")
        found.append(descriptor)
    return tuple(sorted(found, key=lambda m: (m.position, m.slug)))


@functools.cache
def marketplaces() -> tuple[Marketplace, ...]:
    """Every marketplace of the project, in their order."""
    return discover(__path__, __name__)


def slugs() -> tuple[str, ...]:
    return tuple(m.slug for m in marketplaces())


def get(slug: str) -> Marketplace:
    for marketplace in marketplaces():
        if marketplace.slug == slug:
            return marketplace
    raise KeyError(f"unknown marketplace {slug!r} (known: {', '.join(slugs())})")


def spider_modules() -> list[str]:
    """The modules holding the marketplaces' spiders (``SPIDER_MODULES``)."""
    return [module for marketplace in marketplaces() for module in marketplace.spider_modules()]


def markdown_table() -> str:
    """The README's marketplace table (``python -m marketplace_spiders.marketplaces``)."""
    rows = ["| slug | marketplace | transport | settings | block kinds | folder |", "|---|---|---|---|---|---|"]
    for m in marketplaces():
        kinds = ", ".join(f"`{kind.kind}`" for kind in m.block_kinds) or "-"
        folder = m.folder.relative_to(m.folder.parents[2]).as_posix()
        rows.append(f"| `{m.slug}` | {m.title} | {m.transport} | `{m.settings_group().prefix}*` | {kinds} | "
                    f"`{folder}/` |")
    return "\n".join(rows)
