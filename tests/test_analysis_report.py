"""`analysis.report` on a hand-built history: files, figures and the numbers behind them."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest
from test_analysis_views import TERM, HistoryBuilder, Listed

from analysis.report import write_report
from marketplace_spiders.items import SellerObservation

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def history_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    h = HistoryBuilder(tmp_path_factory.mktemp("report") / "history.duckdb")
    seller = SellerObservation("wildberries", "s1", name="Корё Маркет", legal_name="ООО «Восточный Бальзам»",
                               inn="2310000000")
    h.run(listed={"1": Listed("7000"), "2": Listed("6500", seller_id="s2")}, sellers=[seller])
    h.run(listed={"1": Listed("7200"), "2": Listed("6500", seller_id="s2"),
                  "3": Listed("300", title="Женьшень чай")}, terms={TERM: ["1", "2"], "КНДР БАД": ["3"]})
    h.run("degraded", terms={TERM: "blocked", "КНДР БАД": ["3"]}, listed={"3": Listed("300", title="Женьшень чай")},
          revisit_blocked=["1", "2"])
    h.run(terms={TERM: ["1"], "КНДР БАД": ["3"]},
          listed={"1": Listed("7300"), "3": Listed("300", title="Женьшень чай")})
    return h.db_path


@pytest.fixture(scope="module")
def report_dir(history_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("out")
    assert write_report(history_db, out) == out / "report.html"
    return out


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def figures(report_dir: Path) -> dict[str, str]:
    rows = {}
    for line in (report_dir / "report.md").read_text("utf-8").splitlines():
        parts = [p.strip() for p in line.strip("|").split("|")]
        if len(parts) == 2 and line.startswith("| "):
            rows[parts[0]] = parts[1]
    return rows


def sql(db: Path, query: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(query).fetchall()


def test_files_exist_and_pngs_are_valid(report_dir: Path) -> None:
    for name in ("report.html", "report.md"):
        assert (report_dir / name).stat().st_size > 0
    for name in ("listings_over_time", "price_timeline", "crawl_health"):
        data = (report_dir / f"{name}.png").read_bytes()
        assert data.startswith(PNG_SIGNATURE) and len(data) > 1000
    for name in ("listings_over_time", "price_timeline", "new_listings", "vanished_listings", "top_sellers",
                 "crawl_health"):
        assert (report_dir / f"{name}.csv").exists()
        assert (report_dir / f"{name}.parquet").exists()


def test_html_is_self_contained(report_dir: Path) -> None:
    text = (report_dir / "report.html").read_text("utf-8")
    assert text.count("src='data:image/png;base64,") == 3
    assert ".png'" not in text


def test_claims_and_verdicts_match_sql(history_db: Path, report_dir: Path) -> None:
    claims = {r["category"]: (int(r["listings"]), int(r["listings_now"]), r["illegal_for_bad"])
              for r in read_csv(report_dir / "claims_frequency.csv")}
    expected = {c: (n, now, str(illegal).lower()) for c, n, now, illegal in sql(
        history_db, "SELECT category, count(DISTINCT product_id), count(DISTINCT product_id) FILTER (WHERE is_current),"
                    " bool_or(illegal_for_bad) FROM listing_claims GROUP BY category")}
    # "ампулы" in the Kumdang-2 titles of listings 1 and 2: a БАД cannot be injected
    assert claims == expected and claims["injectable_form"] == (2, 2, "true")
    verdicts = {(r["marketplace"], r["verdict"]): int(r["listings"]) for r in read_csv(report_dir / "verdicts.csv")}
    assert verdicts == dict(((m, v), n) for m, v, n in sql(
        history_db, "SELECT marketplace, verdict, count(*) FROM current_listings GROUP BY ALL"))
    assert verdicts == {("wildberries", "strong"): 2, ("wildberries", "unrelated"): 1}
    assert figures(report_dir)["of which verdict strong"] == "2"
    text = (report_dir / "report.md").read_text("utf-8")
    assert "## Health claims" in text and "## Verdicts" in text


def test_figures_match_sql(history_db: Path, report_dir: Path) -> None:
    f = figures(report_dir)
    assert f["runs in the period"] == "4"
    assert int(f["listings in scope"]) == sql(history_db, "SELECT count(*) FROM current_listings")[0][0] == 3
    blocked, total = sql(history_db, "SELECT count(*) FILTER (WHERE outcome = 'blocked'), count(*) FROM fetches")[0]
    assert f["blocked share of requests"] == f"{blocked / total:.1%}"
    vanished = sql(history_db, "SELECT count(*) FROM availability_spells WHERE state = 'gone' AND spell_number > 1")
    assert int(f["listings that vanished in the period"]) == vanished[0][0] == 1


def test_listings_over_time_match_sql(history_db: Path, report_dir: Path) -> None:
    rows = {r["run_id"]: int(r["listed"]) for r in read_csv(report_dir / "listings_over_time.csv")}
    expected = dict(sql(history_db, "SELECT run_id, count(DISTINCT product_id) FROM listing_states "
                                    "WHERE state <> 'gone' GROUP BY run_id"))
    assert rows == expected == {"run-001": 2, "run-002": 3, "run-003": 1, "run-004": 2}


def test_price_timeline_of_kumdang_per_legal_entity(report_dir: Path) -> None:
    rows = [(r["watch_product"], r["seller"], r["median_price"]) for r in read_csv(report_dir / "price_timeline.csv")]
    legal = "ООО «Восточный Бальзам»"
    assert sorted(r for r in rows if r[0] == "Kumdang-2") == [
        ("Kumdang-2", "shop s2", "6500.00"), ("Kumdang-2", "shop s2", "6500.00"),
        ("Kumdang-2", legal, "7000.00"), ("Kumdang-2", legal, "7200.00"), ("Kumdang-2", legal, "7300.00")]
    # found by the term «КНДР БАД», but the classifier found nothing DPRK in "Женьшень чай": no watchlist product
    assert all(r[2] != "300.00" for r in rows)


def test_filters_narrow_the_report(history_db: Path, tmp_path: Path) -> None:
    write_report(history_db, tmp_path, since="2026-01-12", until="2026-01-19", product="kumdang-2")
    f = figures(tmp_path)
    assert f["runs in the period"] == "2"
    assert f["listings in scope"] == "2"  # the ginseng tea is not a Kumdang-2 listing
    assert read_csv(tmp_path / "new_listings.csv") == []  # both were first seen before the period


def test_a_dprk_listing_naming_no_product_belongs_to_the_catch_all_product(tmp_path: Path) -> None:
    """Classified strong (a «Пуган» balm from the DPRK) but naming no products.toml product: the listing is
    attributed by its search term, to "Other DPRK health products", instead of to no watchlist product."""
    from analysis.queries import run_sql, sql_text
    from analysis.report import watch_parameters
    from marketplace_spiders.watchlist import Watchlist

    h = HistoryBuilder(tmp_path / "history.duckdb")
    h.run(terms={"Пуган": ["7"]}, listed={"7": Listed("900", title="Бальзам Пуган КНДР БАД")})
    assert h.query("SELECT verdict, verdict_products FROM current_listings") == [("strong", [])]
    with duckdb.connect(str(h.db_path)) as con:
        params = {"marketplace": None, **watch_parameters(None, Watchlist.load())}
        rows = run_sql(con, sql_text("report_listings"), params).to_pylist()
    assert [(r["product_id"], r["watch_product"], r["verdict"]) for r in rows] == [
        ("7", "Other DPRK health products", "strong")]


def test_report_prices_are_never_aggregated_across_currencies(tmp_path: Path) -> None:
    """One seller lists Kumdang-2 at 7000 RUB and at 50000 KZT, and one listing switches RUB -> KZT: the
    daily medians are per currency, the seller median is over roubles, and the switch is no price change."""
    h = HistoryBuilder(tmp_path / "history.duckdb")
    h.run(listed={"1": Listed("7000"), "2": Listed("50000", currency="KZT"), "3": Listed("6000")})
    h.run(listed={"1": Listed("7000"), "2": Listed("50000", currency="KZT"), "3": Listed("45000", currency="KZT")})
    out = tmp_path / "out"
    write_report(h.db_path, out)
    rows = {(r["day"], r["currency"]): r["median_price"] for r in read_csv(out / "price_timeline.csv")}
    assert rows == {("2026-01-05", "RUB"): "6500.00", ("2026-01-05", "KZT"): "50000.00",
                    ("2026-01-12", "RUB"): "7000.00", ("2026-01-12", "KZT"): "47500.00"}
    sellers = read_csv(out / "top_sellers.csv")
    assert [(s["median_price_rub"], s["price_currencies"]) for s in sellers] == [("7000.00", "KZT, RUB")]
    assert read_csv(out / "price_changes.csv") == []
    assert (out / "price_timeline.png").read_bytes().startswith(PNG_SIGNATURE)
