"""Test helpers: paths to the real samples and the bundled fixtures, response builders."""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy.http import Request, TextResponse

ROOT = Path(__file__).resolve().parents[1]
REAL_SAMPLES = ROOT.parent / "shared" / "real-samples"
FIXTURES = ROOT / "fixtures"


def real_sample(relative: str) -> Path:
    path = REAL_SAMPLES / relative
    if not path.exists():
        pytest.fail(f"real sample missing: {path} (CI clones ../shared beside the repository)")
    return path


def json_response(url: str, body: bytes, status: int = 200, meta: dict | None = None) -> TextResponse:
    request = Request(url, meta=meta or {})
    return TextResponse(
        url=url, body=body, status=status, encoding="utf-8",
        headers={"Content-Type": "application/json; charset=utf-8"}, request=request,
    )
