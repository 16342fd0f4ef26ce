"""Hostile listing text: huge descriptions, thousands of nested hits, listings that cannot be classified.

No wall-clock assertions: the work is bounded by construction (the field cap, one sort instead of comparing
every hit with every other), which is what these tests check; bench/classify_benchmark.py measures the speed.
"""

from __future__ import annotations

import random
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_classify_history import MP, Seen, Timeline

from marketplace_spiders.classify import Classifier, engine
from marketplace_spiders.classify.matching import Match, SpanIndex, _drop_contained

PIECES = ("Кымдан-2 ", "кымдан ", "Кым\u200bдан-2 ", "омолаживает ", "нет противопоказаний ", "противопоказания ",
          "КНДР ", "Пхеньян ", "иммунитет ", "регенерация ", "женьшень ", "금당-2 ")


def hostile(size: int) -> str:
    """``size`` characters of product names, claim stems and origin words, repeated."""
    block = "".join(PIECES)
    return (block * (size // len(block) + 1))[:size]


def _pairwise(hits: list[Match]) -> list[Match]:
    """The definition: a hit is dropped when a longer hit of its field holds its span."""
    return [m for m in hits if not any(o.field == m.field and o.start <= m.start and m.end <= o.end
                                       and o.end - o.start > m.end - m.start for o in hits)]


spans = st.lists(st.tuples(st.sampled_from(("title", "description")), st.integers(0, 40), st.integers(1, 12)),
                 max_size=40)


@settings(max_examples=300, deadline=None)
@given(spans)
def test_drop_contained_keeps_what_the_pairwise_definition_keeps(raw: list[tuple[str, int, int]]) -> None:
    hits = [Match(field, start, start + length, "x") for field, start, length in raw]
    assert _drop_contained(hits, key=lambda m: m) == _pairwise(hits)


def test_drop_contained_looks_at_each_hit_a_bounded_number_of_times() -> None:
    rng = random.Random(5)
    hits = [Match("description", s, s + rng.randint(1, 30), "x") for s in rng.sample(range(1_000_000), 5_000)]
    looked_at = 0

    def key(m: Match) -> Match:
        nonlocal looked_at
        looked_at += 1
        return m

    _drop_contained(hits, key=key)
    assert looked_at <= 2 * len(hits)  # comparing every hit with every other looks 25 million times


@settings(max_examples=300, deadline=None)
@given(spans, spans)
def test_span_index_overlap_is_the_pairwise_overlap(excluded: list, probes: list) -> None:
    spans_ = [Match(f, s, s + n, "x") for f, s, n in excluded]
    index = SpanIndex(spans_)
    for field, start, length in probes:
        m = Match(field, start, start + length, "x")
        assert index.overlaps(m) == any(s.field == m.field and s.start < m.end and m.start < s.end for s in spans_)


@pytest.mark.parametrize("size", [432_000, 20_000_000], ids=["432_KB", "20_MB"])
def test_hostile_description_is_classified_up_to_the_cap_and_says_so(size: int) -> None:
    result = Classifier().classify({"title": "Кымдан-2", "description": hostile(size)})
    assert result["verdict"] == "strong"
    assert result["truncated"] == {"description": size}
    assert (f"note: description truncated: only the first {engine.MAX_FIELD_CHARS} of its {size} characters "
            "classified (CLASSIFY_MAX_FIELD_CHARS)") in result["reasons"]
    assert {"Кым\u200bдан-2", "Кымдан-2"} <= {p["text"] for p in result["products"] if p["field"] == "description"}


def test_text_past_the_cap_is_not_read_and_text_before_it_is() -> None:
    classifier = Classifier(max_field_chars=1_000)
    before = classifier.classify({"title": "Чай", "description": "x" * 990 + " Кымдан-2"})
    past = classifier.classify({"title": "Чай", "description": "x" * 1_000 + " Кымдан-2"})
    assert [p["id"] for p in before["products"]] == ["kumdang-2"] and "truncated" not in before
    assert past["products"] == [] and past["truncated"] == {"description": 1_009}


def test_name_fields_are_capped_too() -> None:
    manufacturer = "Pugang " + "y" * 300_000
    result = Classifier(max_field_chars=1_000).classify({"title": "Бальзам", "manufacturer": manufacturer})
    assert result["truncated"] == {"manufacturer": len(manufacturer)}
    assert any(s["id"] == "manufacturer_pugang" for s in result["origin_signals"])


def test_listing_over_the_match_budget_is_an_error_and_the_next_one_classifies() -> None:
    classifier = Classifier(max_hits=100)
    over = classifier.classify({"product_id": "1", "title": "x", "description": "Кымдан-2 " * 200})
    after = classifier.classify({"product_id": "2", "title": "Кымдан-2 ампулы"})
    assert over["verdict"] == "error" and over["products"] == [] and over["product_id"] == "1"
    assert over["reasons"] == ["error: OverBudget: more than 100 matches (CLASSIFY_MAX_HITS)"]
    assert after["verdict"] == "strong"


def test_listing_whose_classification_raises_is_an_error_and_the_next_one_classifies() -> None:
    nested: dict = {}
    inner = nested
    for _ in range(sys.getrecursionlimit() + 100):  # characteristics nested deeper than Python recurses
        inner["Состав"] = inner = {}
    classifier = Classifier()
    broken = classifier.classify({"product_id": "1", "title": "Кымдан-2", "characteristics": nested})
    after = classifier.classify({"product_id": "2", "title": "Кымдан-2 ампулы"})
    assert broken["verdict"] == "error" and broken["reasons"][0].startswith("error: RecursionError")
    assert after["verdict"] == "strong"


def test_a_run_with_a_listing_over_budget_records_its_error_and_classifies_the_rest(
        tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "MAX_HITS", 50)  # the CLASSIFY_MAX_HITS setting, small
    timeline = Timeline(tmp_path / "db.duckdb")
    listings = {"good": Seen("Кымдан-2 ампулы 10 шт", "Женьшень."),
                "hostile": Seen("Бальзам", "Кымдан-2 омолаживает " * 60),
                "plain": Seen("Чай зелёный", "Листовой чай.")}
    run_1 = timeline.run(listings)
    rows = dict(timeline.query("SELECT product_id, verdict FROM current_verdicts WHERE marketplace = ?", [MP]))
    assert rows == {"good": "strong", "hostile": "error", "plain": "unrelated"}
    reasons = timeline.query("SELECT reasons FROM listing_classifications WHERE product_id = 'hostile'")
    assert reasons == [(["error: OverBudget: more than 50 matches (CLASSIFY_MAX_HITS)"],)]
    timeline.run(listings)  # the next ingest does not re-enter it
    assert timeline.query("SELECT count(*) FROM listing_classifications") == [(3,)]
    assert timeline.query("SELECT run_id, text_versions FROM classified_runs ORDER BY run_id") == [
        (run_1, 3), ("run-2", 0)]
