"""Test helpers: paths to the real samples and the bundled fixtures, response builders."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from scrapy.http import Request, TextResponse

from marketplace_spiders import marketplaces

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
REAL_SAMPLES = FIXTURES / "real-samples"
"""Real samples of marketplaces not built yet (a built marketplace keeps its own in <its folder>/real_samples)."""


def fixtures_of(marketplace: str) -> Path:
    """The fixtures folder of a built marketplace (marketplace_spiders/marketplaces/<slug>/fixtures)."""
    return marketplaces.get(marketplace).fixtures_dir


def real_sample_roots() -> dict[str, Path]:
    """Where real samples live: "" -> fixtures/real-samples, each built marketplace's slug -> its real_samples."""
    return {"": REAL_SAMPLES, **{m.slug: m.real_samples_dir for m in marketplaces.marketplaces()}}


def real_sample_path(name: str) -> Path:
    """Where the real sample ``name`` (its path in shared/real-samples, "<slug>/...") lives in the repository."""
    slug, _, rest = name.partition("/")
    roots = real_sample_roots()
    return roots[slug] / rest if slug in roots and rest else REAL_SAMPLES / name


LOCAL_DOCS = frozenset({"SHA256SUMS", "README.md", "SOURCES.md", "PROVENANCE.md"})
"""Files the repository wrote beside the samples (not copies of shared/real-samples)."""


def real_sample_files() -> dict[str, Path]:
    """Every real sample in the repository, wherever it lives: its shared/real-samples name -> its path.
    Top-level documents (``LOCAL_DOCS``, ENDPOINTS.md) of fixtures/real-samples are named as in the shared
    folder; a marketplace folder's PROVENANCE.md is the repository's own and left out."""
    found: dict[str, Path] = {}
    for slug, root in real_sample_roots().items():
        for path in sorted(root.rglob("*")):
            relative = path.relative_to(root).as_posix()
            if not path.is_file() or (relative in LOCAL_DOCS and "/" not in relative):
                continue
            found[f"{slug}/{relative}" if slug else relative] = path
    return found


def real_sample(relative: str) -> Path:
    """A real sample by its shared/real-samples name ("wildberries/krein15_fixtures/wb_detail.json")."""
    path = real_sample_path(relative)
    if not path.exists():
        pytest.fail(f"real sample missing: {path} (the real samples are a copy of shared/real-samples)")
    return path


def json_response(url: str, body: bytes, status: int = 200, meta: dict | None = None) -> TextResponse:
    request = Request(url, meta=meta or {})
    return TextResponse(
        url=url, body=body, status=status, encoding="utf-8",
        headers={"Content-Type": "application/json; charset=utf-8"}, request=request,
    )


def replay_timeline(marketplace: str, folder: Path, runs: tuple[str, ...] = ("run-1", "run-2")) -> Path:
    """The bundled timeline of ``marketplace`` (<its folder>/fixtures/timeline) replayed through the real spider,
    oldest run first, into a new DuckDB file in ``folder``; returns its path."""
    from marketplace_spiders import demo

    path = folder / f"{marketplace}.duckdb"
    for run in runs:
        demo.replay(marketplace, marketplaces.get(marketplace).timeline_dir / run, path)
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
