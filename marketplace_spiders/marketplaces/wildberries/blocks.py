"""Wildberries' anti-bot answers (``marketplace_spiders.blocks`` checks them on every response)."""

from __future__ import annotations

from marketplace_spiders.marketplaces.descriptor import BlockKind, BlockResponse

__all__ = ["BLOCK_KINDS"]


def _status_498(response: BlockResponse) -> str | None:
    return "HTTP 498 (WB anti-bot token missing)" if response.status == 498 else None


def _tls_fingerprint_403(response: BlockResponse) -> str | None:
    if response.status in (401, 403) and response.expected == "json" and response.first in (b"<", b""):
        detail = f", Server: {response.server}" if response.server else ""
        return f"HTTP {response.status} non-JSON body from a JSON host{detail}"
    return None


BLOCK_KINDS = (
    BlockKind("wbaas_challenge", False, 'WB "Почти готово..." JS challenge (needs an ``x_wbaas_token`` cookie)',
              titles=("Почти готово...",), resource_paths=(("__wbaas", "challenges"),),
              attributes=("data-site-key", "data-req-uuid"),
              precheck=(b"__wbaas", b"data-site-key", "почти готово".encode())),
    BlockKind("status_498", False, "WB ``__internal`` endpoint asked without the anti-bot token",
              check=_status_498),
    BlockKind("tls_fingerprint_403", False, "WB JSON host answering 403 HTML (Angie) to a non-browser TLS handshake",
              check=_tls_fingerprint_403, own_marketplace_only=True),
)
