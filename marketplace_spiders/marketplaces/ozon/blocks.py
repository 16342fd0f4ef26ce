"""Ozon's anti-bot answers (``marketplace_spiders.blocks`` checks them on every response)."""

from __future__ import annotations

from marketplace_spiders.marketplaces.descriptor import BlockKind, BlockResponse

__all__ = ["BLOCK_KINDS"]


def _redirect_loop(response: BlockResponse) -> str | None:
    # Only on a redirect (the stage): healthy Ozon pages carry `__rr=1` inside their paginator links.
    for where, value in (("Location header", response.location), ("URL", response.url)):
        if "__rr=" in value or "__rr%3D" in value:
            return f"HTTP {response.status}, {where} carries __rr=: {value[:200]}"
    return None


BLOCK_KINDS = (
    BlockKind("ozon_access_restricted", False,
              "Ozon «Доступ ограничен» page (``fab_chlg_`` incident, ``abt-challenge``)",
              titles=("Доступ ограничен",), resource_paths=(("abt-challenge",),), texts=("fab_chlg_",),
              precheck=(b"abt-challenge", b"fab_chlg_", "доступ ограничен".encode())),
    BlockKind("ozon_redirect_loop", False, "Ozon 307 self-redirect chain (``__rr=1``, ``__rr=2`` ...)",
              check=_redirect_loop, stage="redirect"),
)
