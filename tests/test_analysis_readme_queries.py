"""Every SQL example under '## Example queries' in README.md (their one home: no copy elsewhere) runs on a
hand-built history and returns the columns its question needs; a few also return the expected rows."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from test_analysis_views import HistoryBuilder, Listed

from marketplace_spiders.classify.sanctions import import_list
from marketplace_spiders.items import SellerObservation
from marketplace_spiders.storage.database import Database

ROOT = Path(__file__).resolve().parents[1]
HEADING = "## Example queries"
# A block's label is the text before the first '.' of the bold question above it ('Crawl' for the last).
BLOCK_LABEL = re.compile(r"\*\*(?P<label>[^.*\s]+)[.\s]")

EXPECTED_COLUMNS = {
    "1": ["marketplace", "verdict", "status", "listings", "products"],
    "1b": ["marketplace", "week", "listed"],
    "2": ["entity_key", "inn", "ogrn", "legal_names", "storefronts", "storefront_names", "marketplaces", "listings"],
    "2b": ["marketplace", "product_id", "title", "seller_name", "seller_legal_name", "seller_inn", "seller_ogrn"],
    "3": ["marketplace", "product_id", "title", "field", "matched_text", "entity_name", "source", "score", "method",
          "un_reference", "ofac_ent_num", "first_seen", "last_seen"],
    "3b": ["subject_type", "marketplace", "seller_id", "subject_value", "list_source", "source_id", "entity_name",
           "score", "programs", "un_reference"],
    "4": ["marketplace", "seller", "listings", "min_price", "median_price", "max_price", "price_stddev",
          "vs_7000_benchmark"],
    "4b": ["marketplace", "product_id", "title", "old_price", "new_price", "change_rel", "old_observed_at",
           "new_observed_at"],
    "5": ["category", "illegal_for_bad", "listings", "sellers", "wordings"],
    "5b": ["marketplace", "product_id", "matched_text", "first_seen", "first_run_id", "last_seen", "is_current"],
    "5c": ["marketplace", "product_id", "title", "status", "product_ids", "verdict_first_seen", "reasons"],
    "7": ["marketplace", "category", "listings", "sellers"],
    "6": ["marketplace", "category", "country_of_origin", "listings"],
    "8": ["marketplace", "product_id", "title", "first_seen", "vanished_confirmed_at", "vanished_in_run",
          "came_back_as"],
    "8b": ["marketplace", "product_id", "started_at", "ended_at", "runs_confirmed", "next_state"],
    "9": ["marketplace", "brand", "brand_first_seen", "listings"],
    "10": ["marketplace", "product_id", "title", "review_count", "stock_qty", "stock_capped", "price",
           "observed_at", "run_id", "response_sha256", "evidence_url"],
    "Crawl": ["run_id", "marketplace", "run_started_at", "run_status", "target_type", "outcome", "targets"],
}


def example_section() -> str:
    text = (ROOT / "README.md").read_text("utf-8")
    assert HEADING in text, f"no '{HEADING}' section in README.md"
    section = text.split(HEADING, 1)[1]
    return re.split(r"\n## ", section, maxsplit=1)[0]


def examples() -> list[tuple[str, str]]:
    found = []
    parts = example_section().split("```sql\n")
    for before, after in zip(parts, parts[1:], strict=False):
        labels = BLOCK_LABEL.findall(before)
        assert labels, f"no bold question before the query:\n{after[:200]}"
        found.append((labels[-1], after.split("```", 1)[0]))
    return found


EXAMPLES = examples()


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    h = HistoryBuilder(tmp_path_factory.mktemp("readme") / "history.duckdb")
    fares = [SellerObservation("wildberries", s, name=name, legal_name="ООО «Восточный Бальзам»", inn="2310000000")
             for s, name in (("s1", "Корё Маркет"), ("s2", "Женьшень КНДР"))]
    fares.append(SellerObservation("wildberries", "s3", name="Пуган Трейд", legal_name="ООО «Пуган Трейд»"))
    # Two sellers with no listing, for the sanctions list matches of example 3b (see test_classify_sanctions).
    fares += [SellerObservation("wildberries", "s4", name="Пуган Маркет",
                                legal_name='ООО "Korea Pugang Trading Corp."'),
              SellerObservation("wildberries", "s5", name="Pugang Trade",
                                legal_name="Korea Pugang Trade Company LLC")]
    kumdang = "Кымдан-2 сыворотка 3 ампулы"
    h.run(listed={"1": Listed("7000", seller_id="s1", title=kumdang, brand="Кымдан"),
                  "2": Listed("6000", seller_id="s2", title=kumdang, brand="Кымдан"),
                  "3": Listed("450", seller_id="s3", title="Royal Blood-Fresh Pugang", brand="Royal Blood")},
          sellers=fares)
    # Both Kumdang listings start claiming to cure cancer in the second run (example 5b).
    kumdang_cancer = f"{kumdang}, помогает от рака"
    h.run(listed={"1": Listed("7500", seller_id="s1", title=kumdang_cancer, brand="Кымдан"),
                  "2": Listed("6000", seller_id="s2", title=kumdang_cancer, brand="Кымдан", in_stock=False)},
          not_found=["3"])
    with Database(h.db_path).session() as con:
        import_list(con, ROOT / "fixtures" / "classify" / "sanctions" / "sdn.csv")
    return h.db_path


def test_there_are_at_least_ten_examples() -> None:
    assert len(EXAMPLES) >= 10
    assert {label for label, _ in EXAMPLES} <= EXPECTED_COLUMNS.keys()


@pytest.mark.parametrize(("label", "sql"), EXAMPLES, ids=[label for label, _ in EXAMPLES])
def test_example_runs_with_expected_columns(db: Path, label: str, sql: str) -> None:
    with duckdb.connect(str(db), read_only=True) as con:
        cur = con.execute(sql)
        columns = [d[0] for d in cur.description]
        cur.fetchall()
    assert columns == EXPECTED_COLUMNS[label]


def run_example(db: Path, label: str) -> list[tuple]:
    sql = dict(EXAMPLES)[label]
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_listed_now(db: Path) -> None:
    assert run_example(db, "1") == [("wildberries", "strong", "available", 1, ["kumdang-2"]),
                                    ("wildberries", "strong", "gone", 1, ["royal-blood-fresh"]),
                                    ("wildberries", "strong", "out_of_stock", 1, ["kumdang-2"])]


def test_one_entity_behind_two_storefronts(db: Path) -> None:
    rows = run_example(db, "2")
    assert [(r[0], r[4], r[5], r[7]) for r in rows] == [
        ("inn:2310000000", 2, ["shop s1", "shop s2", "Женьшень КНДР", "Корё Маркет"], 2)]


def test_sanctioned_alias_match(db: Path) -> None:
    rows = run_example(db, "3")
    assert [(r[1], r[3], r[4], r[5], r[9], r[10]) for r in rows] == [
        ("3", "seller_legal_name", "Пуган", "Korea Pugang Trading Corporation", "KPe.038", "9524")]


def test_claims_and_strong_matches(db: Path) -> None:
    assert run_example(db, "5") == [("cancer", True, 2, ["ООО «Восточный Бальзам»"], ["рака"]),
                                    ("injectable_form", True, 2, ["ООО «Восточный Бальзам»"], ["ампулы"])]
    assert [(r[1], r[2], r[4], r[6]) for r in run_example(db, "5b")] == [
        ("1", "рака", "run-002", True), ("2", "рака", "run-002", True)]
    assert [(r[1], r[3], r[4]) for r in run_example(db, "5c")] == [
        ("1", "available", ["kumdang-2"]), ("2", "out_of_stock", ["kumdang-2"]), ("3", "gone", ["royal-blood-fresh"])]


def test_sanctions_list_matches_of_known_sellers(db: Path) -> None:
    assert [(r[2], r[5], r[7]) for r in run_example(db, "3b")] == [("s4", "9524", 100.0), ("s5", "9524", 89.5)]


def test_brands_first_seen(db: Path) -> None:
    assert [(r[1], r[3]) for r in run_example(db, "9")] == [("Royal Blood", 1), ("Кымдан", 2)]


def test_kumdang_prices_per_legal_entity(db: Path) -> None:
    rows = run_example(db, "4")
    assert [(r[1], r[2], r[4]) for r in rows] == [("ООО «Восточный Бальзам»", 2, Decimal("6750.00"))]


def test_vanished_listing(db: Path) -> None:
    assert [(r[1], r[5]) for r in run_example(db, "8")] == [("3", "run-002")]


ORDER_BY = re.compile(r"\bORDER BY\s+(?P<keys>[^;()]+?)\s*;?\s*$", re.S)


def order_keys(sql: str) -> list[str]:
    """The columns of a query's final ORDER BY, without table aliases or directions."""
    found = ORDER_BY.search(sql.strip())
    assert found, f"no final ORDER BY in:\n{sql}"
    keys = []
    for key in found["keys"].split(","):
        key = re.sub(r"\s+(ASC|DESC)\b|\s+NULLS\s+(FIRST|LAST)\b", "", key.strip(), flags=re.I)
        keys.append(key.split(".")[-1])
    return keys


def assert_total_order(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    """The query's ORDER BY keys are output columns that tell every row apart (ties let DuckDB's parallel sort
    return a different order each time); returns the number of rows."""
    keys = order_keys(sql)
    cur = con.execute(sql)
    columns = [d[0] for d in cur.description]
    rows = cur.fetchall()
    assert set(keys) <= set(columns), f"ORDER BY keys {keys} not all among the output columns {columns}"
    tuples = [tuple(repr(row[columns.index(k)]) for k in keys) for row in rows]
    assert len(set(tuples)) == len(tuples), f"rows tie on {keys}: {tuples}"
    return len(rows)


@pytest.mark.parametrize(("label", "sql"), EXAMPLES, ids=[label for label, _ in EXAMPLES])
def test_example_order_is_total(db: Path, label: str, sql: str) -> None:
    with duckdb.connect(str(db), read_only=True) as con:
        assert assert_total_order(con, sql) > 0, "the hand-built history gives this example no rows to order"
