"""The TEMPLATE marketplace's anti-bot answers: one BlockKind per kind, with the markers of its real block
pages (``real_samples/BLOCKED_*``). Move a kind here from ``block_kinds.CORE_BLOCK_KINDS`` when its
marketplace is built (e.g. ``qrator`` for DNS/Citilink)."""

from __future__ import annotations

from marketplace_spiders.marketplaces.descriptor import BlockKind

__all__ = ["BLOCK_KINDS"]

BLOCK_KINDS: tuple[BlockKind, ...] = ()
