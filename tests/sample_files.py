"""Test helpers: paths to the real samples and the bundled fixtures, response builders."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from scrapy.http import Request, TextResponse

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
REAL_SAMPLES = FIXTURES / "real-samples"  # a copy of shared/real-samples (fixtures/real-samples/README.md)


def real_sample(relative: str) -> Path:
    path = REAL_SAMPLES / relative
    if not path.exists():
        pytest.fail(f"real sample missing: {path} (fixtures/real-samples is a copy of shared/real-samples)")
    return path


def json_response(url: str, body: bytes, status: int = 200, meta: dict | None = None) -> TextResponse:
    request = Request(url, meta=meta or {})
    return TextResponse(
        url=url, body=body, status=status, encoding="utf-8",
        headers={"Content-Type": "application/json; charset=utf-8"}, request=request,
    )


def replay_timeline(marketplace: str, folder: Path, runs: tuple[str, ...] = ("run-1", "run-2")) -> Path:
    """The bundled timeline of ``marketplace`` (fixtures/<marketplace>/timeline) replayed through the real spider,
    oldest run first, into a new DuckDB file in ``folder``; returns its path."""
    from marketplace_spiders import demo

    path = folder / f"{marketplace}.duckdb"
    for run in runs:
        demo.replay(marketplace, FIXTURES / marketplace / "timeline" / run, path)
    return path


def rows(con, sql: str, *params) -> list[tuple]:
    return con.execute(sql, list(params)).fetchall()


def observed(con, column: str, product_id: str) -> list[tuple]:
    """(day, value) of one column of one listing, oldest first."""
    return rows(con, f"SELECT observed_at::DATE::VARCHAR, {column} FROM listing_observations "
                     "WHERE product_id = ? ORDER BY observed_at", product_id)


def fixture_case_response(case: Path, response_class: type[TextResponse] = TextResponse) -> TextResponse:
    """The response saved in a hand-made page fixture (``meta.json`` + its body file)."""
    meta = json.loads((case / "meta.json").read_text("utf-8"))
    headers = {k: v[0] for k, v in meta["headers"].items()}
    return response_class(url=meta["url"], body=(case / meta["body_file"]).read_bytes(), status=meta["status"],
                          headers=headers, encoding="utf-8")


def assert_fields(obj: object, expected: dict) -> None:
    """Each field of ``expected`` equals the attribute of ``obj`` (Decimal fields compared as Decimals)."""
    for name, want in expected.items():
        got = getattr(obj, name)
        assert got == (Decimal(want) if isinstance(got, Decimal) else want), name
