"""What a marketplace folder (``marketplace_spiders/marketplaces/<slug>/``) declares about itself.

Its ``__init__.py`` exports one :class:`Marketplace` as ``MARKETPLACE``. The descriptor holds only data and
dotted names: spiders, settings group and fuzz cases are imported when first asked for, so that importing the
registry (which block detection and the watchlist do) never imports a spider.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["BlockKind", "BlockResponse", "FuzzCase", "Marketplace", "resolve"]

TRANSPORTS = ("http", "browser")
STAGES = ("url", "redirect", "status")


@dataclass(frozen=True)
class BlockResponse:
    """What a response-level block check sees (``marketplace_spiders.blocks.detect_block``'s arguments)."""

    marketplace: str
    status: int
    head: bytes
    """The first bytes of the body."""
    first: bytes
    """The body's first byte after a BOM and whitespace (b'' for an empty body)."""
    url: str
    location: str
    server: str
    expected: str
    """"json" or "html": what the endpoint normally returns."""


@dataclass(frozen=True)
class BlockKind:
    """One anti-bot answer: its kind name, whether a retry after a back-off may succeed, and its markers.

    Markup markers (see ``marketplace_spiders.block_markup``) are looked for on every marketplace: ``titles``
    (the whole ``<title>``), ``resource_paths`` (path segments of ``script src``/``link href``/``form action``),
    ``script_hosts`` (substring of a script's host/path), ``identifiers`` (substring of an id/class/name
    token), ``attributes`` (attribute names that must all be present), ``texts`` (text-node wording, only on a
    block status); ``precheck`` are lower-cased byte strings one of which a page must contain to be parsed.
    ``check`` is a response-level rule run at ``stage`` ("url": Location/URL; "redirect": on a 30x;
    "status": after 429, before the generic 401/403): it returns the reason, or None. ``own_marketplace_only``
    restricts ``check`` to responses of the marketplace that declares the kind."""

    kind: str
    retryable: bool
    doc: str
    titles: tuple[str, ...] = ()
    resource_paths: tuple[tuple[str, ...], ...] = ()
    script_hosts: tuple[str, ...] = ()
    identifiers: tuple[str, ...] = ()
    attributes: tuple[str, ...] = ()
    texts: tuple[str, ...] = ()
    precheck: tuple[bytes, ...] = ()
    check: Callable[[BlockResponse], str | None] | None = None
    stage: str = "status"
    own_marketplace_only: bool = False

    def __post_init__(self) -> None:
        if self.stage not in STAGES:
            raise ValueError(f"block kind {self.kind}: stage must be one of {STAGES}, not {self.stage!r}")


@dataclass(frozen=True)
class FuzzCase:
    """A page object fed hostile variants of a real input by tests/test_fuzz_pages.py: ``parse`` takes a
    response and returns items (or raises LayoutError); ``sample`` is a path relative to the marketplace's
    folder (``real_samples/...`` or ``fixtures/...``); ``url`` the URL the response is given."""

    name: str
    parse: Callable[[Any], Any]
    sample: str
    url: str
    html: bool = False
    """The page is HTML (given as an HtmlResponse, judged as an HTML endpoint by block detection)."""
    seller_text: bool = True
    """The page carries seller-written text (the hostile-text tests inject into it)."""
    mutate: bool = True
    """Its price/id/seller keys are mutated by the mutation test (False: no such keys, or no real capture)."""


def resolve(dotted: str) -> Any:
    """``"package.module:Name"`` -> the object (the module imported on first use)."""
    module, _, name = dotted.partition(":")
    target = importlib.import_module(module)
    return getattr(target, name) if name else target


@dataclass(frozen=True)
class Marketplace:
    """Everything the core needs to know about one marketplace; every path is inside its folder."""

    slug: str
    title: str
    folder: Path
    """The marketplace's folder (``Path(__file__).parent`` of its ``__init__.py``)."""
    spiders: tuple[str, ...]
    """Spider classes, ``"module:Class"``; the first one's ``name`` is the slug."""
    transport: str
    """"http" (Scrapy downloader, impersonated TLS) or "browser" (scrapy-playwright Chromium)."""
    settings: str
    """Its settings group, ``"module:Class"`` (a :class:`marketplace_spiders.config.SettingsGroup`)."""
    block_kinds: tuple[BlockKind, ...] = ()
    expectations: Mapping[str, float] = field(default_factory=dict)
    """Run expectations checked by ``validation.assess_run`` (keys documented in spiders/base.py)."""
    fuzz: str | None = None
    """Module holding ``CASES``, a tuple of :class:`FuzzCase`."""
    position: int = 100
    """Order among the marketplaces (lists, the README table): lower first, then by slug."""

    def __post_init__(self) -> None:
        if self.transport not in TRANSPORTS:
            raise ValueError(f"marketplace {self.slug}: transport must be one of {TRANSPORTS}")

    @property
    def fixtures_dir(self) -> Path:
        return self.folder / "fixtures"

    @property
    def real_samples_dir(self) -> Path:
        return self.folder / "real_samples"

    @property
    def tests_dir(self) -> Path:
        return self.folder / "tests"

    @property
    def timeline_dir(self) -> Path:
        return self.fixtures_dir / "timeline"

    def timeline_runs(self) -> list[Path]:
        """The bundled recorded runs (``fixtures/timeline/run-*``), in name order."""
        return sorted(p.parent for p in self.timeline_dir.glob("run-*/meta.json"))

    def spider_modules(self) -> list[str]:
        return list(dict.fromkeys(dotted.partition(":")[0] for dotted in self.spiders))

    def spider_classes(self) -> list[type]:
        return [resolve(dotted) for dotted in self.spiders]

    def settings_group(self) -> type:
        return resolve(self.settings)

    def fuzz_cases(self) -> tuple[FuzzCase, ...]:
        return tuple(resolve(self.fuzz).CASES) if self.fuzz else ()
