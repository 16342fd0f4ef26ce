"""Every block kind ``marketplace_spiders.blocks`` can name: the core's own (generic answers, and anti-bot
systems of marketplaces not built yet), then each registered marketplace's (``marketplaces/<slug>/blocks.py``).

Markers are distinctive enough to be checked on every marketplace, so ``Block.kind`` names the system that
answered whichever marketplace was asked.
"""

from __future__ import annotations

import functools

from marketplace_spiders import marketplaces
from marketplace_spiders.marketplaces.descriptor import BlockKind

__all__ = ["CORE_BLOCK_KINDS", "all_block_kinds", "marketplace_block_kinds"]

CORE_BLOCK_KINDS: tuple[BlockKind, ...] = (
    BlockKind("rate_limited", True, "HTTP 429"),
    BlockKind("megamarket_code7", False, 'ServicePipe JSON ``{"error": ..., "code": 7, "ip": ...}``'),
    BlockKind("avito_firewall", False, "Avito «Доступ ограничен: проблема с IP» / ``firewall/captcha/show``",
              titles=("Доступ ограничен: проблема с IP",), resource_paths=(("firewall", "captcha"),),
              texts=("Доступ ограничен: проблема с IP",), precheck=(b"firewall", "доступ ограничен".encode())),
    BlockKind("qrator", False, 'Qrator (DNS, Citilink): ``/__qrator/``, "Guru meditation", 401/403',
              resource_paths=(("__qrator",),), texts=("Guru meditation",),
              precheck=(b"__qrator", b"guru meditation")),
    BlockKind("forbidden", False, "any other 401/403"),
    BlockKind("json_endpoint_html", False, "a JSON endpoint answering HTML (body starts with ``<``)"),
)
"""Kinds the core detects itself (in ``blocks.detect_block``) or whose marketplace has no folder yet."""


@functools.cache
def marketplace_block_kinds() -> tuple[tuple[str, BlockKind], ...]:
    """(marketplace slug, kind) of every registered marketplace, in the registry's order."""
    return tuple((m.slug, kind) for m in marketplaces.marketplaces() for kind in m.block_kinds)


@functools.cache
def all_block_kinds() -> tuple[BlockKind, ...]:
    """The core kinds, then the marketplaces'; a kind name declared twice is an error."""
    kinds = CORE_BLOCK_KINDS + tuple(kind for _, kind in marketplace_block_kinds())
    names = [kind.kind for kind in kinds]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"block kinds declared twice: {', '.join(duplicates)}")
    return kinds
