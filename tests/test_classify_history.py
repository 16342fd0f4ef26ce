"""Classifications over time in DuckDB: runs staged and ingested through the real path (RunStager ->
Database.ingest_pending), classified by the post-ingest hook, read back through the analysts' views
(listing_verdicts, current_verdicts, listing_claims, listing_origin_signals, entity_matches, current_listings)."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from marketplace_spiders.classify import history
from marketplace_spiders.classify.history import rebuild_classifications, update_classifications
from marketplace_spiders.items import FetchRecord, ListingContent, ListingObservation, SearchHit, SellerObservation
from marketplace_spiders.pages.description import description_hash
from marketplace_spiders.storage import database
from marketplace_spiders.storage.database import Database, staging_root_for
from marketplace_spiders.storage.staging import RunStager

T0 = datetime(2026, 3, 2, 9, 0)
MP = "wildberries"


@dataclass
class Seen:
    """A listing as one run saw it; ``description`` None means the run did not refetch the content."""

    title: str
    description: str | None = None
    country: str | None = None
    seller_id: str = "s1"
    characteristics: dict[str, str] = field(default_factory=dict)


class Timeline:
    def __init__(self, db_path: Path):
        self.db_path = db_path
        self.runs = 0

    def at(self, run: int) -> datetime:
        return T0 + timedelta(days=7 * (run - 1), minutes=5)

    def run(self, listings: dict[str, Seen], sellers: tuple[SellerObservation, ...] = (), status: str = "ok") -> str:
        self.runs += 1
        run_id = f"run-{self.runs}"
        seen = self.at(self.runs)
        stager = RunStager(staging_root_for(self.db_path), run_id)
        stager.add_item(FetchRecord(MP, "https://search", "search", "ok", term="t", product_ids=list(listings),
                                    fetched_at=seen))
        for position, (pid, item) in enumerate(listings.items(), 1):
            stager.add_item(SearchHit(MP, "t", 1, position, pid, observed_at=seen))
            digest = None
            if item.description is not None:
                digest = description_hash(item.description, item.characteristics)
                stager.add_item(ListingContent(MP, pid, title=item.title, description=item.description,
                                               characteristics=item.characteristics,
                                               country_of_origin=item.country, description_hash=digest))
            stager.add_item(ListingObservation(MP, pid, f"https://wb/{pid}", "listed", title=item.title,
                                               seller_id=item.seller_id, seller_name="shop", price=Decimal("7000"),
                                               in_stock=True, country_of_origin=item.country,
                                               description_hash=digest, observed_at=seen))
        for seller in sellers:
            seller.observed_at = seen
            stager.add_item(seller)
        stager.finish({"run_id": run_id, "marketplace": MP, "started_at": (seen - timedelta(minutes=5)).isoformat(),
                       "finished_at": (seen + timedelta(minutes=20)).isoformat(), "status": status})
        Database(self.db_path).ingest_pending(staging_root_for(self.db_path))
        return run_id

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        with Database(self.db_path).session() as con:
            return con.execute(sql, params or []).fetchall()

KUMDANG = "Кымдан-2 ампулы 10 шт"
PLAIN_TEXT = "Женьшеневый напиток в ампулах по 2 мл."
CANCER_TEXT = "Женьшеневый напиток в ампулах по 2 мл. Помогает при онкологических заболеваниях."


@pytest.fixture
def timeline(tmp_path: Path) -> Timeline:
    return Timeline(tmp_path / "classified.duckdb")


def test_claim_first_seen_is_the_run_whose_description_started_claiming(timeline: Timeline) -> None:
    timeline.run({"1": Seen(KUMDANG, PLAIN_TEXT, "КНДР")})
    timeline.run({"1": Seen(KUMDANG, CANCER_TEXT, "КНДР")})
    timeline.run({"1": Seen(KUMDANG, None, "КНДР")})  # content not refetched: the last description carries on
    rows = timeline.query("SELECT category, matched_text, first_seen, last_seen, first_run_id, last_run_id, "
                          "observations, is_current, illegal_for_bad FROM listing_claims "
                          "WHERE product_id = '1' AND category = 'cancer'")
    assert rows == [("cancer", "онкологических", timeline.at(2), timeline.at(3), "run-2", "run-3", 2, True, True)]
    # the injectable-form claim ("ампул…") was there from the first run on
    injectable = timeline.query("SELECT min(first_seen) FROM listing_claims WHERE category = 'injectable_form'")
    assert injectable == [(timeline.at(1),)]


def test_strong_listings_today_and_verdict_history(timeline: Timeline) -> None:
    timeline.run({"1": Seen("Женьшень корень 30 г", "Корень женьшеня.", "Корея"),
                  "2": Seen("Красный женьшень экстракт", "Экстракт.", "Корея, Республика")})
    timeline.run({"1": Seen("Кымдан-2 ампулы", "Ампулы женьшеня из Пхеньяна.", "КНДР"),
                  "2": Seen("Красный женьшень экстракт", None, "Корея, Республика")})
    verdicts = timeline.query("SELECT product_id, verdict, first_run_id, last_run_id, is_current "
                              "FROM listing_verdicts ORDER BY product_id, first_seen")
    assert verdicts == [("1", "unrelated", "run-1", "run-1", False), ("1", "strong", "run-2", "run-2", True),
                        ("2", "unrelated", "run-1", "run-2", True)]
    current = timeline.query("SELECT product_id, verdict, verdict_products FROM current_listings ORDER BY 1")
    assert current == [("1", "strong", ["kumdang-2"]), ("2", "unrelated", [])]
    strong_today = timeline.query(
        "SELECT product_id, verdict_first_seen FROM current_verdicts WHERE verdict = 'strong'")
    assert strong_today == [("1", timeline.at(2))]
    details = timeline.query("SELECT details FROM listing_classifications WHERE product_id = '2'")
    assert [c["country"] for c in json.loads(details[0][0])["counter_signals"]] == ["KR"]
    details = timeline.query(
        "SELECT details FROM listing_classifications WHERE product_id = '1' AND verdict = 'strong'")
    assert [(p["id"], p["text"]) for p in json.loads(details[0][0])["products"] if p["specificity"] != "generic"] == [
        ("kumdang-2", "Кымдан-2")]
    signals = timeline.query("SELECT signal_id, matched_text, first_seen FROM listing_origin_signals "
                             "WHERE product_id = '1' ORDER BY signal_id")
    assert ("country_field_dprk", "КНДР", timeline.at(2)) in signals
    assert any(s[0] == "text_pyongyang" and s[1] == "Пхеньяна" for s in signals)


def test_entity_match_from_seller_legal_identity(timeline: Timeline) -> None:
    seller = SellerObservation(MP, "s9", name="Женьшень Маркет", legal_name="Korea Pugang Trading Corporation",
                               inn="7700000000")
    timeline.run({"5": Seen("Капсулы с женьшенем 60 шт", "Капсулы.", None, seller_id="s9")}, sellers=(seller,))
    rows = timeline.query("SELECT entity_id, field, matched_text, score, method, un_reference, ofac_ent_num, "
                          "first_seen FROM entity_matches WHERE product_id = '5' AND field = 'seller_legal_name'")
    assert len(rows) == 1
    entity_id, fld, text, score, method, un_ref, ofac, first_seen = rows[0]
    assert (fld, text, un_ref, ofac, first_seen) == ("seller_legal_name", "Korea Pugang Trading Corporation",
                                                     "KPe.038", "9524", timeline.at(1))
    assert (score, method) == (100.0, "exact")
    assert timeline.query("SELECT verdict FROM current_verdicts WHERE product_id = '5'") == [("strong",)]


def test_a_text_version_is_classified_once(timeline: Timeline) -> None:
    timeline.run({"1": Seen(KUMDANG, PLAIN_TEXT, "КНДР")})
    timeline.run({"1": Seen(KUMDANG, None, "КНДР")})
    timeline.run({"1": Seen(KUMDANG, PLAIN_TEXT, "КНДР")})
    assert timeline.query("SELECT count(*) FROM listing_classifications") == [(1,)]
    assert timeline.query("SELECT count(*) FROM observation_classifications") == [(3,)]
    with Database(timeline.db_path).session() as con:
        assert update_classifications(con, "run-3") == 0  # running the hook again adds nothing
        assert con.execute("SELECT count(*) FROM observation_classifications").fetchone() == (3,)


def test_rebuild_gives_the_same_history(timeline: Timeline) -> None:
    timeline.run({"1": Seen(KUMDANG, PLAIN_TEXT, "КНДР"), "2": Seen("Чай улун", "Чай.", "Китай")})
    timeline.run({"1": Seen(KUMDANG, CANCER_TEXT, "КНДР")})
    sql = ("SELECT marketplace, product_id, category, matched_text, first_seen, last_seen FROM listing_claims "
           "UNION ALL SELECT marketplace, product_id, verdict, NULL, first_seen, last_seen FROM listing_verdicts "
           "ORDER BY ALL")
    before = timeline.query(sql)
    with Database(timeline.db_path).session() as con:
        assert rebuild_classifications(con) == {"runs": 2, "text_versions": 3}
    assert timeline.query(sql) == before


def test_import_sanctions_then_history_matches_the_list(timeline: Timeline) -> None:
    seller = SellerObservation(MP, "s7", name="Авиа", legal_name="Aerocaribbean Airlines")
    timeline.run({"7": Seen("Женьшень в капсулах", "Капсулы.", None, seller_id="s7")}, sellers=(seller,))
    sql = "SELECT source, entity_id, sanctioned, first_seen FROM entity_matches WHERE product_id = '7'"
    assert timeline.query(sql) == []
    sdn = Path(__file__).resolve().parents[1] / "fixtures" / "classify" / "sanctions" / "sdn.csv"
    done = subprocess.run([str(Path(sys.executable).with_name("scrapy")), "import_sanctions", str(sdn),
                           "--db", str(timeline.db_path)], cwd=sdn.parents[3], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "entity_matches now include this list" in done.stdout
    assert timeline.query(sql) == [("ofac_sdn", "ofac_sdn:36", True, timeline.at(1))]
    # a non-DPRK sanctions entry is recorded but is not evidence of DPRK origin
    assert timeline.query("SELECT verdict FROM current_verdicts WHERE product_id = '7'") == [("unrelated",)]


def test_a_run_left_unclassified_is_classified_by_the_next_ingest(timeline: Timeline, monkeypatch) -> None:
    """An ingest that stopped after committing its rows (or a database ingested before classification
    existed) leaves runs without a classified_runs row: the next ingest classifies them, oldest first."""
    monkeypatch.setattr(database.Database, "after_ingest", lambda self, con: None)  # stops after the commit
    timeline.run({"1": Seen(KUMDANG, CANCER_TEXT, "КНДР")})
    assert timeline.query("SELECT count(*) FROM classified_runs") == [(0,)]
    assert timeline.query("SELECT count(*) FROM listing_verdicts") == [(0,)]
    monkeypatch.undo()
    timeline.run({"1": Seen(KUMDANG, None, "КНДР")})
    assert timeline.query("SELECT run_id, text_versions FROM classified_runs ORDER BY run_id") == [
        ("run-1", 1), ("run-2", 0)]
    assert timeline.query("SELECT first_run_id, last_run_id FROM listing_claims WHERE category = 'cancer'") == [
        ("run-1", "run-2")]
    assert timeline.query("SELECT verdict FROM current_listings") == [("strong",)]


def test_classification_commits_in_chunks(timeline: Timeline, monkeypatch) -> None:
    monkeypatch.setattr(history, "CHUNK_SIZE", 2)
    timeline.run({str(i): Seen(f"{KUMDANG} вариант {i}", PLAIN_TEXT, "КНДР") for i in range(1, 6)})
    assert timeline.query("SELECT count(*), count(DISTINCT text_key) FROM observation_classifications") == [(5, 5)]
    assert timeline.query("SELECT count(*) FROM current_verdicts WHERE verdict = 'strong'") == [(5,)]


def test_the_rebuild_command_reclassifies_and_refreshes_current_listings(timeline: Timeline) -> None:
    timeline.run({"1": Seen(KUMDANG, CANCER_TEXT, "КНДР"), "2": Seen("Чай улун", "Чай.", "Китай")})
    with Database(timeline.db_path).session() as con:  # as if the verdicts were stale (e.g. before a data edit)
        con.execute("DELETE FROM listing_classifications")
        con.execute("UPDATE current_listings SET verdict = NULL, verdict_products = NULL")
    done = subprocess.run([str(Path(sys.executable).with_name("scrapy")), "classify", "--db", str(timeline.db_path),
                           "--rebuild"], cwd=Path(__file__).resolve().parents[1], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == f"classified 2 text version(s) of 1 run(s) in {timeline.db_path}"
    assert timeline.query("SELECT product_id, verdict, verdict_products FROM current_listings ORDER BY 1") == [
        ("1", "strong", ["kumdang-2"]), ("2", "unrelated", [])]


def test_an_interrupted_rebuild_is_finished_by_the_next_ingest(timeline: Timeline, monkeypatch) -> None:
    """The rebuild commits run by run: if it dies half-way, the runs it did not reach have no classified_runs
    row, and the next ingest classifies them."""
    timeline.run({"1": Seen(KUMDANG, CANCER_TEXT, "КНДР")})
    timeline.run({"1": Seen(KUMDANG, PLAIN_TEXT, "КНДР")})
    sql = "SELECT category, first_run_id, last_run_id FROM listing_claims ORDER BY ALL"
    # two wordings of the injectable form (ампулах in the title and the description)
    assert timeline.query(sql) == [("cancer", "run-1", "run-1"), ("injectable_form", "run-1", "run-2"),
                                   ("injectable_form", "run-1", "run-2")]
    real = history.update_classifications

    def dies_on_the_second_run(con, run_id, *args, **kwargs):
        if run_id == "run-2":
            raise KeyboardInterrupt("killed")
        return real(con, run_id, *args, **kwargs)

    monkeypatch.setattr(history, "update_classifications", dies_on_the_second_run)
    with Database(timeline.db_path).session() as con, pytest.raises(KeyboardInterrupt):
        rebuild_classifications(con)
    assert timeline.query("SELECT run_id FROM classified_runs") == [("run-1",)]
    monkeypatch.undo()
    timeline.run({"1": Seen(KUMDANG, PLAIN_TEXT, "КНДР")})
    assert timeline.query("SELECT run_id FROM classified_runs ORDER BY 1") == [("run-1",), ("run-2",), ("run-3",)]
    assert timeline.query(sql) == [("cancer", "run-1", "run-1"), ("injectable_form", "run-1", "run-3"),
                                   ("injectable_form", "run-1", "run-3")]


def test_a_listing_split_across_chunks_is_classified_once_per_text(timeline: Timeline, monkeypatch) -> None:
    """The already-classified sets are asked per chunk: observations of one listing that fall into different
    chunks still give one classification per text version and one row per observation, and a second pass
    adds nothing."""
    timeline.run({"1": Seen(KUMDANG, CANCER_TEXT, "КНДР"), "2": Seen("Чай улун", "Чай.", "Китай")})
    with Database(timeline.db_path).session() as con:
        # two more observations of listing 1 in the same run: the same text 1 minute later, a new title later
        for minutes, title in ((1, KUMDANG), (2, "Кымдан-2 ампулы 20 шт")):
            con.execute("INSERT INTO listing_observations BY NAME SELECT * REPLACE (observed_at + to_minutes(?) "
                        "AS observed_at, ? AS title) FROM listing_observations WHERE product_id = '1' "
                        "AND observed_at = (SELECT min(observed_at) FROM listing_observations)",
                        [minutes, title])
        for table in history.CLASSIFICATION_TABLES:
            con.execute(f"DELETE FROM {table}")
        monkeypatch.setattr(history, "CHUNK_SIZE", 1)
        assert update_classifications(con, "run-1") == 3  # listing 1's two texts, listing 2's one
        assert update_classifications(con, "run-1") == 0
        assert con.execute("SELECT product_id, count(*) FROM observation_classifications GROUP BY 1 ORDER BY 1"
                           ).fetchall() == [("1", 3), ("2", 1)]
        assert con.execute("SELECT product_id, count(*) FROM listing_classifications GROUP BY 1 ORDER BY 1"
                           ).fetchall() == [("1", 2), ("2", 1)]


def test_a_rebuild_uses_the_seller_identity_known_at_each_run(timeline: Timeline) -> None:
    """A seller whose legal name (a DPRK entity's alias) became known only in run 2: run 1 stays classified
    without it, at ingest and after a rebuild alike (not with today's sellers row)."""
    timeline.run({"1": Seen("Женьшень в капсулах", "Капсулы.", None, seller_id="s9")})
    pugang = SellerObservation(MP, "s9", name="Пуган", legal_name="ООО «Пуган Трейд»")
    timeline.run({"1": Seen("Женьшень в капсулах", None, None, seller_id="s9")}, sellers=(pugang,))
    sql = "SELECT verdict, first_run_id, last_run_id FROM listing_verdicts ORDER BY first_seen"
    expected = [("unrelated", "run-1", "run-1"), ("strong", "run-2", "run-2")]
    assert timeline.query(sql) == expected
    with Database(timeline.db_path).session() as con:
        rebuild_classifications(con)
    assert timeline.query(sql) == expected


def test_search_cards_are_not_classified_where_the_run_saw_the_page(timeline: Timeline) -> None:
    """The trust rules of listing_states: a run's title-only search card (read here a minute after the page)
    does not replace the verdict of the product page the same run saw."""
    timeline.run({"1": Seen(KUMDANG, CANCER_TEXT, "КНДР")})
    with Database(timeline.db_path).session() as con:
        con.execute("INSERT INTO listing_observations BY NAME SELECT * REPLACE ('search' AS source, "
                    "'Ампулы женьшеня' AS title, NULL AS description_hash, NULL AS country_of_origin, "
                    "observed_at + INTERVAL 1 MINUTE AS observed_at) "
                    "FROM listing_observations WHERE product_id = '1'")
        rebuild_classifications(con)
    assert timeline.query("SELECT count(*) FROM observation_classifications") == [(1,)]
    assert timeline.query("SELECT verdict FROM current_verdicts") == [("strong",)]


def test_entity_match_text_and_method_come_from_one_best_row(timeline: Timeline) -> None:
    """Two spellings match the same entity at score 100: entity_matches shows the latest one, text and method
    from the same row, every time."""
    timeline.run({"1": Seen("Royal Blood-Fresh, производитель Пуган", "Капсулы.", None)})
    timeline.run({"1": Seen("Royal Blood-Fresh, производитель ПУГАН", "Капсулы.", None)})
    sql = ("SELECT field, matched_text, score, method, observations FROM entity_matches "
           "WHERE entity_name = 'Korea Pugang Trading Corporation' AND field = 'title'")
    assert timeline.query(sql) == [("title", "ПУГАН", 100.0, "alias_in_text", 2)]
