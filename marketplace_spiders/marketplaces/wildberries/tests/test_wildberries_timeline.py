"""The bundled timeline replayed through the real spider into a real DuckDB file, checked in SQL."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest
from sample_files import rows

from marketplace_spiders import demo


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """`make demo` itself: every bundled recording replayed, then the report written."""
    folder = tmp_path_factory.mktemp("timeline")
    path, report_dir = folder / "demo.duckdb", folder / "report"
    assert demo.main(["--db", str(path), "--report-dir", str(report_dir)]) == 0
    return path, report_dir


@pytest.fixture(scope="module")
def db(demo_run):
    con = duckdb.connect(str(demo_run[0]), read_only=True)
    yield con
    con.close()


def test_three_ok_runs_at_the_recorded_times(db):
    got = rows(db, "SELECT strftime(started_at, '%Y-%m-%d %H:%M'), status, replay FROM crawl_runs "
                   "WHERE marketplace = 'wildberries' ORDER BY started_at")
    assert got == [("2026-11-01 06:00", "ok", True), ("2026-11-08 06:00", "ok", True),
                   ("2026-11-15 06:00", "ok", True)]


def test_price_change_is_visible(db):
    got = rows(db, "SELECT observed_at::DATE::VARCHAR, price FROM listing_observations "
                   "WHERE product_id = '201111001' ORDER BY observed_at")
    assert got == [("2026-11-01", Decimal("6990.00")), ("2026-11-08", Decimal("5990.00")),
                   ("2026-11-15", Decimal("5990.00"))]


def test_listing_goes_out_of_stock(db):
    got = rows(db, "SELECT observed_at::DATE::VARCHAR, listing_status, in_stock, stock_qty, price "
                   "FROM listing_observations WHERE product_id = '201111002' ORDER BY observed_at")
    assert got == [("2026-11-01", "listed", True, 3, Decimal("7000.00")),
                   ("2026-11-08", "listed", False, 0, None),
                   ("2026-11-15", "listed", False, 0, None)]


def test_listing_disappears(db):
    got = rows(db, "SELECT observed_at::DATE::VARCHAR, listing_status FROM listing_observations "
                   "WHERE product_id = '201111003' ORDER BY observed_at")
    assert got == [("2026-11-01", "listed"), ("2026-11-08", "listed"), ("2026-11-15", "not_found")]
    assert rows(db, "SELECT last_seen::DATE::VARCHAR FROM listings WHERE product_id = '201111003'") == [
        ("2026-11-08",)]
    # and it was no longer found by its search term
    assert rows(db, "SELECT count(*) FROM search_hits h JOIN crawl_runs r USING (run_id) "
                    "WHERE h.product_id = '201111003' AND r.started_at >= '2026-11-15'") == [(0,)]


def test_new_listing_with_capped_stock(db):
    got = rows(db, "SELECT first_seen::DATE::VARCHAR FROM listings WHERE product_id = '201111004'")
    assert got == [("2026-11-08",)]
    assert rows(db, "SELECT DISTINCT stock_qty, stock_capped FROM listing_observations "
                    "WHERE product_id = '201111004'") == [(100, True)]


def test_seller_with_legal_details(db):
    got = rows(db, "SELECT name, legal_name, inn, ogrn FROM sellers WHERE seller_id = '4012345'")
    assert got == [("Корё Здоровье", "ООО «Восточный Бальзам»", "7701234560", "1207700123454")]
    assert rows(db, "SELECT count(*), min(rating), max(sale_count) FROM seller_observations "
                    "WHERE seller_id = '4012345'") == [(2, 4.6, 1840)]


def test_content_fetched_when_new_or_stale_only(db):
    got = rows(db, "SELECT r.started_at::DATE::VARCHAR, count(*) FROM fetches f JOIN crawl_runs r USING (run_id) "
                   "WHERE f.page_type = 'content' AND f.marketplace = 'wildberries' GROUP BY 1 ORDER BY 1")
    assert got == [("2026-11-01", 4), ("2026-11-08", 1), ("2026-11-15", 3)]


def test_description_versions_are_stored_once(db):
    versions = rows(db, "SELECT DISTINCT description_hash FROM listing_observations "
                        "WHERE product_id = '201111001' ORDER BY 1")
    assert len(versions) == 2
    texts = rows(db, "SELECT text FROM descriptions WHERE product_id = '201111001' ORDER BY first_seen")
    assert len(texts) == 2 and "Противоопухолевое" in texts[1][0] and "Противоопухолевое" not in texts[0][0]
    assert rows(db, "SELECT count(*) = count(DISTINCT description_hash) FROM descriptions") == [(True,)]


def test_every_observation_traces_to_a_recorded_response(db):
    assert rows(db, "SELECT count(*) FROM listing_observations o WHERE NOT EXISTS (SELECT 1 FROM fetches f "
                    "WHERE f.run_id = o.run_id AND f.response_sha256 = o.response_sha256)") == [(0,)]
    assert rows(db, "SELECT count(*) FROM listing_observations WHERE length(response_sha256) <> 64") == [(0,)]


def test_origin_and_country_from_characteristics(db):
    got = dict(rows(db, "SELECT product_id, any_value(country_of_origin) FROM listing_observations "
                        "WHERE listing_status = 'listed' GROUP BY 1"))
    assert got["201111001"] == "КНДР"
    assert got["201111005"] == "Корея, Республика"


def test_every_readme_example_query_runs_on_the_demo_database(db):
    from test_analysis_readme_queries import assert_total_order, examples

    queries = examples()
    assert len(queries) >= 10
    answered = [label for label, sql in queries if assert_total_order(db, sql)]
    assert len(answered) >= 10, answered


def test_views_on_the_demo_timeline(db):
    assert rows(db, "SELECT product_id, status FROM current_listings WHERE marketplace = 'wildberries' "
                    "ORDER BY product_id") == [
        ("201111001", "available"), ("201111002", "out_of_stock"), ("201111003", "gone"),
        ("201111004", "available"), ("201111005", "available")]
    assert rows(db, "SELECT product_id, old_price, new_price FROM price_changes WHERE marketplace = 'wildberries' "
                    "ORDER BY product_id") == [
        ("201111001", Decimal("6990.00"), Decimal("5990.00")), ("201111004", Decimal("1290.00"), Decimal("1190.00"))]


def test_the_demo_report_matches_sql(demo_run, db):
    import pandas as pd

    _path, report_dir = demo_run
    html = (report_dir / "report.html").read_text("utf-8")
    for name in ("listings_over_time", "price_timeline", "crawl_health"):
        png = (report_dir / f"{name}.png").read_bytes()
        assert png.startswith(b"\x89PNG") and len(png) > 5_000, name
    assert html.count("data:image/png;base64,") == 3
    over_time = pd.read_csv(report_dir / "listings_over_time.csv")
    assert len(over_time) == rows(db, "SELECT count(*) FROM crawl_runs WHERE status <> 'failed'")[0][0]
    vanished = pd.read_parquet(report_dir / "vanished_listings.parquet")
    assert set(vanished["product_id"].astype(str)) == {r[0] for r in rows(
        db, "SELECT product_id FROM current_listings WHERE status = 'gone'")}


def test_demo_verdicts_and_claims_over_time(demo_run, db, capsys):
    verdicts = dict(rows(db, "SELECT product_id, verdict FROM current_listings WHERE marketplace = 'wildberries'"))
    assert verdicts == {"201111001": "strong", "201111002": "strong", "201111003": "strong", "201111004": "strong",
                        "201111005": "unrelated"}  # 005: South Korean red ginseng («Корея, Республика»)
    # the third recorded run's description of 201111001 added an anti-tumour claim
    assert rows(db, "SELECT matched_text, strftime(first_seen, '%Y-%m-%d'), is_current FROM listing_claims "
                    "WHERE product_id = '201111001' AND category = 'cancer'") == [
        ("Противоопухолевое", "2026-11-15", True)]
    demo.print_summary(demo_run[0])
    out = capsys.readouterr().out
    assert "listings verdict strong" in out
    line = next(x for x in out.splitlines() if "201111001" in x)
    assert line.split()[0] == "strong" and "cancer!" in line and "kumdang-2" in line
