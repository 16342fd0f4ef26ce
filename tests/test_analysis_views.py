"""The analysis views on hand-built histories, ingested through the real staging path.

Each history is a few runs of one marketplace; ``HistoryBuilder.run`` stages what a spider would have
yielded (fetch records, search hits, observations, sellers) with ``RunStager`` and ingests it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from marketplace_spiders.items import FetchRecord, ListingObservation, SearchHit, SellerObservation
from marketplace_spiders.storage.database import Database, staging_root_for
from marketplace_spiders.storage.staging import RunStager

T0 = datetime(2026, 1, 5, 9, 0)
MARKETPLACE = "wildberries"
TERM = "Кымдан-2"


@dataclass
class Listed:
    """A listing as a run saw it."""

    price: str | None = "7000"
    in_stock: bool = True
    seller_id: str = "s1"
    title: str = "Кымдан-2 ампулы 5 шт"
    brand: str | None = None
    currency: str = "RUB"
    seller_name: str | None = None  # default "shop <seller_id>"


class HistoryBuilder:
    """Stages and ingests runs into a fresh database, like a crawl would."""

    def __init__(self, db_path: Path):
        self.db_path = db_path
        self.runs = 0

    def run(
        self,
        status: str = "ok",
        *,
        terms: dict[str, Iterable[str] | str] | None = None,
        listed: dict[str, Listed] | None = None,
        not_found: Iterable[str] = (),
        revisit_blocked: Iterable[str] = (),
        sellers: Iterable[SellerObservation] = (),
        marketplace: str = MARKETPLACE,
    ) -> str:
        """One run. ``terms`` maps a search term to the product ids found, or to 'blocked'/'failed'."""
        self.runs += 1
        run_id = f"run-{self.runs:03d}"
        started = T0 + timedelta(days=7 * (self.runs - 1))
        seen = started + timedelta(minutes=5)
        stager = RunStager(staging_root_for(self.db_path), run_id)
        for term, found in (terms if terms is not None else {TERM: list(listed or {})}).items():
            outcome = found if isinstance(found, str) else "ok"
            ids = [] if isinstance(found, str) else list(found)
            stager.add_item(FetchRecord(marketplace, f"https://search/{term}", "search", outcome, term=term,
                                        product_ids=ids, fetched_at=seen))
            for position, pid in enumerate(ids, 1):
                stager.add_item(SearchHit(marketplace, term, 1, position, pid, observed_at=seen))
        listed = listed or {}
        answered = list(listed) + list(not_found)
        if answered:
            stager.add_item(FetchRecord(marketplace, f"https://detail/{run_id}", "detail", "ok",
                                        product_ids=answered, fetched_at=seen))
        if revisit_blocked:
            stager.add_item(FetchRecord(marketplace, f"https://detail/{run_id}/b", "detail", "blocked",
                                        product_ids=list(revisit_blocked), fetched_at=seen))
        for pid, item in listed.items():
            stager.add_item(ListingObservation(
                marketplace, pid, f"https://wb/{pid}", "listed", title=item.title, seller_id=item.seller_id,
                seller_name=item.seller_name or f"shop {item.seller_id}", brand=item.brand,
                price=Decimal(item.price) if item.price else None, currency=item.currency,
                in_stock=item.in_stock, stock_qty=5 if item.in_stock else 0, observed_at=seen))
        for pid in not_found:
            stager.add_item(ListingObservation(marketplace, pid, f"https://wb/{pid}", "not_found",
                                               in_stock=False, observed_at=seen))
        for seller in sellers:
            seller.observed_at = seen
            stager.add_item(seller)
        stager.finish({"run_id": run_id, "marketplace": marketplace, "started_at": started.isoformat(),
                       "finished_at": (started + timedelta(minutes=30)).isoformat(), "status": status})
        Database(self.db_path).ingest_pending(staging_root_for(self.db_path))
        return run_id

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        with Database(self.db_path).session() as con:
            return con.execute(sql, params or []).fetchall()


@pytest.fixture
def history(tmp_path: Path) -> HistoryBuilder:
    return HistoryBuilder(tmp_path / "history.duckdb")


def price_changes(h: HistoryBuilder) -> list[tuple]:
    return h.query("SELECT product_id, old_price, new_price, change_abs, change_rel, old_run_id, new_run_id "
                   "FROM price_changes ORDER BY new_observed_at, product_id")


def spells(h: HistoryBuilder, product_id: str = "1") -> list[tuple]:
    return h.query("SELECT state, runs_confirmed, first_run_id, last_run_id, next_state FROM availability_spells "
                   "WHERE product_id = ? ORDER BY spell_number", [product_id])


def status(h: HistoryBuilder, product_id: str = "1") -> tuple:
    rows = h.query("SELECT status, last_known_state, price FROM current_listings WHERE product_id = ?", [product_id])
    assert len(rows) == 1
    return rows[0]


# -- price_changes ------------------------------------------------------------------------------------


def test_price_change_between_successful_runs(history: HistoryBuilder) -> None:
    history.run(listed={"1": Listed("7000")})
    history.run(listed={"1": Listed("7000")})
    history.run(listed={"1": Listed("7700")})
    assert price_changes(history) == [("1", Decimal("7000.00"), Decimal("7700.00"), Decimal("700.00"), 0.1,
                                       "run-002", "run-003")]


def test_failed_run_price_is_not_a_change(history: HistoryBuilder) -> None:
    history.run(listed={"1": Listed("7000")})
    history.run("failed", listed={"1": Listed("1")})  # garbage price from a run that failed validation
    history.run(listed={"1": Listed("7000")})
    assert price_changes(history) == []


def test_same_price_across_unknown_gap_is_not_a_change(history: HistoryBuilder) -> None:
    history.run(listed={"1": Listed("7000")})
    history.run("degraded", terms={TERM: "blocked"}, revisit_blocked=["1"])
    history.run("failed", terms={TERM: "failed"})
    history.run(listed={"1": Listed("7000")})
    assert price_changes(history) == []


def test_change_across_unknown_gap_links_the_two_successful_observations(history: HistoryBuilder) -> None:
    history.run(listed={"1": Listed("7000")})
    history.run("degraded", terms={TERM: "blocked"}, revisit_blocked=["1"])
    history.run(listed={"1": Listed("6500")})
    assert price_changes(history) == [("1", Decimal("7000.00"), Decimal("6500.00"), Decimal("-500.00"),
                                       pytest.approx(-0.0714, abs=1e-4), "run-001", "run-003")]


def test_a_change_of_currency_is_not_a_price_change(history: HistoryBuilder) -> None:
    """Shown in roubles, then in tenge (KZT), then in roubles again: the two currencies are two price
    series; 7000 RUB -> 50000 KZT is no change, and the RUB series is compared across the KZT runs."""
    history.run(listed={"1": Listed("7000")})
    history.run(listed={"1": Listed("50000", currency="KZT")})
    history.run(listed={"1": Listed("52000", currency="KZT")})
    history.run(listed={"1": Listed("7000")})
    history.run(listed={"1": Listed("7500")})
    rows = history.query("SELECT product_id, currency, old_price, new_price, change_abs, old_run_id, new_run_id "
                         "FROM price_changes ORDER BY new_observed_at")
    assert rows == [("1", "KZT", Decimal("50000.00"), Decimal("52000.00"), Decimal("2000.00"), "run-002", "run-003"),
                    ("1", "RUB", Decimal("7000.00"), Decimal("7500.00"), Decimal("500.00"), "run-004", "run-005")]
    assert history.query("SELECT * FROM price_changes ORDER BY ALL") == history.query(
        "SELECT * FROM price_changes_live ORDER BY ALL")


def test_current_listing_price_carries_its_own_currency(history: HistoryBuilder) -> None:
    history.run(listed={"1": Listed("7000")})
    history.run(listed={"1": Listed("50000", currency="KZT")})
    assert history.query("SELECT price, currency FROM current_listings") == [(Decimal("50000.00"), "KZT")]


def test_seller_price_range_never_mixes_currencies(history: HistoryBuilder) -> None:
    """A tenge price of 50000 is not the seller's highest price: min/max are over rouble prices only."""
    seller = SellerObservation(MARKETPLACE, "s1", name="Корё Маркет", inn="2310000000")
    history.run(listed={"1": Listed("7000"), "2": Listed("50000", currency="KZT"), "3": Listed("6500")},
                sellers=[seller])
    rows = history.query("SELECT min_price, max_price, currencies, listings FROM seller_activity")
    assert rows == [(Decimal("6500.00"), Decimal("7000.00"), ["KZT", "RUB"], 3)]


# -- availability_spells -------------------------------------------------------------------------------


def test_stock_flip_makes_two_spells(history: HistoryBuilder) -> None:
    history.run(listed={"1": Listed(in_stock=True)})
    history.run(listed={"1": Listed(in_stock=True)})
    history.run(listed={"1": Listed(in_stock=False)})
    assert spells(history) == [("available", 2, "run-001", "run-002", "out_of_stock"),
                               ("out_of_stock", 1, "run-003", "run-003", None)]


def test_blocked_run_is_no_spell_boundary(history: HistoryBuilder) -> None:
    history.run(listed={"1": Listed()})
    history.run("degraded", terms={TERM: "blocked"}, revisit_blocked=["1"])
    history.run("failed", terms={TERM: "failed"})
    history.run(listed={"1": Listed()})
    assert spells(history) == [("available", 2, "run-001", "run-004", None)]


def test_not_found_answer_in_ok_run_is_gone(history: HistoryBuilder) -> None:
    history.run(listed={"1": Listed()})
    history.run(terms={TERM: []}, not_found=["1"])
    history.run(terms={TERM: []}, not_found=["1"])
    assert spells(history) == [("available", 1, "run-001", "run-001", "gone"),
                               ("gone", 2, "run-002", "run-003", None)]
    assert status(history)[:2] == ("gone", "gone")


def test_absent_from_successful_search_is_gone(history: HistoryBuilder) -> None:
    history.run(listed={"1": Listed(), "2": Listed()})
    history.run(terms={TERM: ["2"]}, listed={"2": Listed()})  # 1 not in the results, not revisited
    assert spells(history, "1") == [("available", 1, "run-001", "run-001", "gone"),
                                    ("gone", 1, "run-002", "run-002", None)]
    assert status(history, "1")[0] == "gone"


def test_absent_while_search_blocked_is_unknown_not_gone(history: HistoryBuilder) -> None:
    history.run(listed={"1": Listed(), "2": Listed()})
    history.run("degraded", terms={TERM: "blocked"}, listed={"2": Listed()})
    assert spells(history, "1") == [("available", 1, "run-001", "run-001", None)]
    assert status(history, "1") == ("unknown", "available", Decimal("7000.00"))


def test_absent_while_revisit_blocked_is_unknown_even_in_ok_run(history: HistoryBuilder) -> None:
    history.run(listed={"1": Listed(), "2": Listed()})
    history.run(terms={TERM: ["2"]}, listed={"2": Listed()}, revisit_blocked=["1"])
    assert spells(history, "1") == [("available", 1, "run-001", "run-001", None)]
    assert status(history, "1")[0] == "unknown"


def test_not_found_in_degraded_run_is_not_a_disappearance(history: HistoryBuilder) -> None:
    history.run(listed={"1": Listed()})
    history.run("degraded", terms={TERM: []}, not_found=["1"])
    assert spells(history) == [("available", 1, "run-001", "run-001", None)]
    assert status(history)[0] == "unknown"


def test_relisted_after_gone(history: HistoryBuilder) -> None:
    history.run(listed={"1": Listed("7000")})
    history.run(terms={TERM: []}, not_found=["1"])
    history.run(listed={"1": Listed("7000")})
    assert [s[0] for s in spells(history)] == ["available", "gone", "available"]
    assert price_changes(history) == []
    assert status(history)[0] == "available"


def test_listing_seen_only_after_term_was_searched_is_not_gone_before(history: HistoryBuilder) -> None:
    history.run(terms={TERM: ["2"]}, listed={"2": Listed()})
    history.run(terms={TERM: ["1", "2"]}, listed={"1": Listed(), "2": Listed()})
    assert spells(history, "1") == [("available", 1, "run-002", "run-002", None)]


# -- current_listings, seller_activity, run_coverage ---------------------------------------------------


def test_current_listing_carries_seller_legal_identity(history: HistoryBuilder) -> None:
    legal = SellerObservation(MARKETPLACE, "s1", name="Корё Маркет", legal_name="ООО «Восточный Бальзам»",
                              inn="2310000000", ogrn="1022300000000")
    history.run(listed={"1": Listed("7000")}, sellers=[legal])
    history.run(listed={"1": Listed("6900", in_stock=False)})
    rows = history.query("SELECT status, price, stock_qty, seller_legal_name, seller_inn, seller_ogrn, "
                         "first_seen, last_seen, verdict FROM current_listings")
    assert rows == [("out_of_stock", Decimal("6900.00"), 0, "ООО «Восточный Бальзам»", "2310000000", "1022300000000",
                     T0 + timedelta(minutes=5), T0 + timedelta(days=7, minutes=5), "strong")]  # "Кымдан-2" title


def test_failed_latest_run_makes_status_unknown(history: HistoryBuilder) -> None:
    history.run(listed={"1": Listed()})
    history.run("failed", terms={TERM: "failed"})
    assert status(history) == ("unknown", "available", Decimal("7000.00"))


def test_seller_activity_groups_storefronts_by_inn(history: HistoryBuilder) -> None:
    same_inn = [
        SellerObservation(MARKETPLACE, "s1", name="Корё Маркет", legal_name="ООО «Восточный Бальзам»",
                          inn="2310000000"),
        SellerObservation(MARKETPLACE, "s2", name="Женьшень КНДР", legal_name="ООО «Восточный Бальзам»",
                          inn="2310000000"),
        SellerObservation(MARKETPLACE, "s3", name="Другой"),
    ]
    history.run(listed={"1": Listed("7000", seller_id="s1"), "2": Listed("5000", seller_id="s2"),
                        "3": Listed("100", seller_id="s3")}, sellers=same_inn)
    rows = history.query("SELECT entity_key, storefronts, listings, min_price, max_price, storefront_names "
                         "FROM seller_activity ORDER BY entity_key")
    assert rows == [
        ("inn:2310000000", 2, 2, Decimal("5000.00"), Decimal("7000.00"), ["Женьшень КНДР", "Корё Маркет"]),
        ("seller:wildberries:s3", 1, 1, Decimal("100.00"), Decimal("100.00"), ["Другой"]),
    ]


def test_run_coverage_reports_terms_and_listings(history: HistoryBuilder) -> None:
    history.run(listed={"1": Listed(), "2": Listed()})
    run_id = history.run("degraded", terms={TERM: ["1"], "Kumdang-2": "blocked"}, listed={"1": Listed()},
                         revisit_blocked=["2"])
    rows = history.query("SELECT target_type, target, outcome, results FROM run_coverage WHERE run_id = ? "
                         "ORDER BY target_type, target", [run_id])
    assert rows == [("listing", "1", "ok", 1), ("listing", "2", "blocked", 0),
                    ("term", "Kumdang-2", "blocked", 0), ("term", TERM, "ok", 1)]


def test_views_exist_after_migration(tmp_path: Path) -> None:
    with Database(tmp_path / "empty.duckdb").session() as con:
        names = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
        assert {"current_listings_live", "price_changes_live", "availability_spells_live", "seller_activity",
                "run_coverage"} <= names
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE NOT internal").fetchall()}
        assert {"current_listings", "price_changes", "availability_spells"} <= tables
        assert con.execute("SELECT count(*) FROM availability_spells").fetchone() == (0,)
    # a read-only connection sees the same views
    with duckdb.connect(str(tmp_path / "empty.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM current_listings").fetchone() == (0,)


def test_materialised_tables_equal_their_live_views_after_every_ingest(history: HistoryBuilder) -> None:
    plan = [
        dict(listed={"1": Listed("7000"), "2": Listed("500")}),
        dict(status="degraded", terms={TERM: "blocked"}, revisit_blocked=["1", "2"]),
        dict(listed={"1": Listed("7100", in_stock=False)}, not_found=["2"]),
        dict(status="failed", terms={TERM: "failed"}),
        dict(listed={"1": Listed("7100"), "2": Listed("450")}),
    ]
    for kwargs in plan:
        history.run(**kwargs)
        for name in ("current_listings", "price_changes", "availability_spells"):
            live = history.query(f"SELECT * FROM {name}_live ORDER BY ALL")
            assert history.query(f"SELECT * FROM {name} ORDER BY ALL") == live, name
    assert history.query("SELECT count(*) FROM price_changes") == [(2,)]  # 7000→7100, 500→450 across «gone»


def test_a_database_with_the_old_views_gets_the_tables(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    with Database(path).session() as con:
        for name in ("current_listings", "price_changes", "availability_spells"):
            con.execute(f"DROP TABLE {name}")
            con.execute(f"CREATE VIEW {name} AS SELECT * FROM {name}_live")
    with Database(path).session() as con:
        kinds = con.execute("SELECT table_name FROM duckdb_tables() WHERE table_name IN "
                            "('current_listings', 'price_changes', 'availability_spells')").fetchall()
        assert len(kinds) == 3
