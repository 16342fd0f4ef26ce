"""`python -m analysis.report` as a process: usage errors exit 2 with one clear line, and the report reads
the crawl's watchlist (--watchlist, else $MONITOR_WATCHLIST, else the packaged one)."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_analysis_views import HistoryBuilder, Listed

from marketplace_spiders.watchlist import WATCHLIST_ENV

ROOT = Path(__file__).resolve().parents[1]
MY_WATCHLIST = '[[product]]\nid = "pugang-balm"\nname = "Pugang balm"\nterms = ["Пуган"]\n'


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    h = HistoryBuilder(tmp_path_factory.mktemp("cli") / "history.duckdb")
    # classified strong without naming a products.toml product: attributed to a watchlist product by term
    h.run(terms={"Пуган": ["7"]}, listed={"7": Listed("900", title="Бальзам Пуган КНДР БАД")})
    h.run(terms={"Пуган": ["7"]}, listed={"7": Listed("950", title="Бальзам Пуган КНДР БАД")})
    return h.db_path


def report(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != WATCHLIST_ENV} | (env or {})
    return subprocess.run([sys.executable, "-m", "analysis.report", *args], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=300)


def watch_products(out: Path) -> set[str]:
    with (out / "price_timeline.csv").open(encoding="utf-8", newline="") as fh:
        return {r["watch_product"] for r in csv.DictReader(fh)}


def test_a_misspelt_marketplace_is_a_usage_error_listing_the_known_ones(db: Path, tmp_path: Path) -> None:
    result = report("--db", str(db), "--out", str(tmp_path / "out"), "--marketplace", "wildberies")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "unknown --marketplace 'wildberies'" in lines[0]
    assert "known marketplaces: ozon, wildberries, yandex_market" in lines[0]
    assert not (tmp_path / "out").exists()  # no empty report left behind


def test_a_known_marketplace_in_other_case_is_accepted(db: Path, tmp_path: Path) -> None:
    result = report("--db", str(db), "--out", str(tmp_path), "--marketplace", "Wildberries")
    assert result.returncode == 0, result.stderr
    assert watch_products(tmp_path) == {"Other DPRK health products"}


def test_a_missing_database_is_a_usage_error(tmp_path: Path) -> None:
    result = report("--db", str(tmp_path / "none.duckdb"), "--out", str(tmp_path / "out"))
    assert result.returncode == 2 and "no such database file" in result.stderr


def test_the_report_reads_the_watchlist_argument(db: Path, tmp_path: Path) -> None:
    mine = tmp_path / "mine.toml"
    mine.write_text(MY_WATCHLIST, encoding="utf-8")
    result = report("--db", str(db), "--out", str(tmp_path / "out"), "--watchlist", str(mine))
    assert result.returncode == 0, result.stderr
    assert watch_products(tmp_path / "out") == {"Pugang balm"}


def test_the_report_reads_the_watchlist_environment_variable_like_a_crawl(db: Path, tmp_path: Path) -> None:
    mine = tmp_path / "mine.toml"
    mine.write_text(MY_WATCHLIST, encoding="utf-8")
    result = report("--db", str(db), "--out", str(tmp_path / "out"), env={WATCHLIST_ENV: str(mine)})
    assert result.returncode == 0, result.stderr
    assert watch_products(tmp_path / "out") == {"Pugang balm"}


def test_an_invalid_watchlist_is_a_usage_error_naming_file_and_product(db: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[[product]]\nid = "kumdang-2"\nterms = "Кымдан-2"\n', encoding="utf-8")
    result = report("--db", str(db), "--out", str(tmp_path / "out"), "--watchlist", str(bad))
    assert result.returncode == 2
    assert f"{bad}: product 'kumdang-2': 'terms' must be a list of texts" in result.stderr


def test_the_report_reads_the_watchlist_setting_of_the_project_settings(db: Path, tmp_path: Path) -> None:
    """A WATCHLIST_PATH set in the crawl's settings module (not only the environment) is the report's too."""
    mine = tmp_path / "mine.toml"
    mine.write_text(MY_WATCHLIST, encoding="utf-8")
    (tmp_path / "site_settings.py").write_text(
        f"from marketplace_spiders.settings import *  # noqa\nWATCHLIST_PATH = {str(mine)!r}\n", encoding="utf-8")
    env = {"SCRAPY_SETTINGS_MODULE": "site_settings",
           "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    result = report("--db", str(db), "--out", str(tmp_path / "out"), env=env)
    assert result.returncode == 0, result.stderr
    assert watch_products(tmp_path / "out") == {"Pugang balm"}
