"""Yandex Market's anti-bot answers (``marketplace_spiders.blocks`` checks them on every response)."""

from __future__ import annotations

from marketplace_spiders.marketplaces.descriptor import BlockKind, BlockResponse

__all__ = ["BLOCK_KINDS"]


def _showcaptcha(response: BlockResponse) -> str | None:
    for where, value in (("Location header", response.location), ("URL", response.url)):
        if "/showcaptcha" in value:
            return f"{where} goes to /showcaptcha: {value[:200]}"
    return None


def _empty_redirect(response: BlockResponse) -> str | None:
    if not response.head.strip() and (not response.location or response.location == response.url):
        return f"HTTP {response.status} with an empty body and no new Location"
    return None


BLOCK_KINDS = (
    # Not the bare word "captcha" as an identifier: healthy YM pages preload an empty CaptchaService widget.
    BlockKind("ym_smartcaptcha", False, "Yandex SmartCaptcha (``/showcaptcha``, ``checkbox_captcha``)",
              resource_paths=(("showcaptcha",), ("checkcaptcha",)), script_hosts=("smartcaptcha",),
              identifiers=("checkbox_captcha", "smartcaptcha"), precheck=(b"captcha",),
              check=_showcaptcha, stage="url"),
    BlockKind("empty_302", True, "a redirect with an empty body and nowhere to go (YM, ~1 in 10)",
              check=_empty_redirect, stage="redirect"),
)
