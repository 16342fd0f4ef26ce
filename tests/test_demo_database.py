"""The demo database, built once per session by replaying every bundled recording (``make demo``'s build):

* it holds the rows of the committed golden fingerprint (fixtures/demo/fingerprint.json: per table and view,
  row count and digest of the normalised rows; regenerate with ``python -m analysis.demo_fingerprint`` when a
  change of behaviour is intended, and say why in the commit);
* every data check ``storage/checks/assert_*.sql`` returns no rows on it;
* each check does find the defect it names, in a copy of the database where that defect was written.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from analysis import demo_fingerprint
from marketplace_spiders.sql import sql_files

CHECKS = dict(sql_files("checks", prefix="assert_"))


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> tuple[Path, demo_fingerprint.BuildWindow]:
    db = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    window = demo_fingerprint.build_demo_database(db)
    return db, window


def test_the_demo_database_matches_the_committed_fingerprint(demo_db) -> None:
    db, window = demo_db
    expected = json.loads(demo_fingerprint.FINGERPRINT.read_text("utf-8"))
    differences = demo_fingerprint.differences(expected, demo_fingerprint.fingerprint(db, window))
    assert not differences, "demo database differs from fixtures/demo/fingerprint.json:\n" + "\n".join(differences)


def test_there_are_data_checks() -> None:
    assert len(CHECKS) >= 8, sorted(CHECKS)


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_a_data_check_finds_nothing_on_the_demo_database(demo_db, name: str) -> None:
    with duckdb.connect(str(demo_db[0]), read_only=True) as con:
        cur = con.execute(CHECKS[name])
        columns = [d[0] for d in cur.description]
        found = cur.fetchmany(5)
    assert found == [], f"{name} found rows ({columns}): {found}"


# For each check, statements that write the defect it names into a copy of the demo database.
DEFECTS = {
    "assert_rows_have_runs.sql": [
        "DELETE FROM crawl_runs WHERE run_id = (SELECT min(run_id) FROM listing_observations)"],
    "assert_in_stock_listings_have_a_price.sql": [
        "UPDATE listing_observations SET price = NULL WHERE rowid = (SELECT min(rowid) FROM listing_observations "
        "WHERE listing_status = 'listed' AND in_stock)"],
    "assert_no_price_change_across_currencies.sql": [
        "UPDATE listing_observations SET currency = 'KZT' WHERE (run_id, observed_at) IN "
        "(SELECT (new_run_id, new_observed_at) FROM price_changes LIMIT 1)"],
    "assert_fetches_of_ok_runs_have_an_outcome.sql": [
        "UPDATE fetches SET outcome = 'maybe' WHERE rowid = (SELECT min(f.rowid) FROM fetches AS f "
        "JOIN crawl_runs AS r USING (run_id) WHERE r.status = 'ok')"],
    "assert_legal_ids_are_well_formed.sql": [
        "UPDATE sellers SET inn = '12345678901' WHERE rowid = (SELECT min(rowid) FROM sellers WHERE inn IS NOT NULL)"],
    "assert_gone_only_after_an_ok_run.sql": [
        # the listing's latest run was degraded, yet the listing is called gone
        "UPDATE crawl_runs SET status = 'degraded' WHERE run_id = (SELECT min(status_run_id) FROM current_listings)",
        "UPDATE current_listings SET status = 'gone' "
        "WHERE status_run_id = (SELECT min(status_run_id) FROM current_listings)"],
    "assert_one_current_row_per_listing.sql": [
        "INSERT INTO current_listings SELECT * FROM current_listings LIMIT 1"],
    "assert_no_negative_prices.sql": [
        "UPDATE listing_observations SET price = -1 WHERE rowid = (SELECT min(rowid) FROM listing_observations "
        "WHERE price IS NOT NULL)"],
}


def test_every_check_has_a_written_defect() -> None:
    assert sorted(DEFECTS) == sorted(CHECKS)


@pytest.mark.parametrize("name", sorted(DEFECTS))
def test_a_data_check_finds_the_defect_it_names(demo_db, tmp_path, name: str) -> None:
    copy = tmp_path / "broken.duckdb"
    shutil.copy(demo_db[0], copy)
    with duckdb.connect(str(copy)) as con:
        assert con.execute(CHECKS[name]).fetchall() == []
        for statement in DEFECTS[name]:
            con.execute(statement)
        assert con.execute(CHECKS[name]).fetchall() != [], f"{name} missed its defect"
