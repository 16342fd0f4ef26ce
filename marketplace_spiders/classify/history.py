"""Store classifications over time in DuckDB, once per (listing, text version).

``classify_pending_runs(con)`` runs after an ingest commits its run's rows (``Database.after_ingest`` in
``marketplace_spiders.storage.database``: ingest, then classify, then refresh) and classifies every run not
classified yet. This package imports nothing of ``storage``: the DuckDB helpers come from the leaf
``marketplace_spiders.sql``, the SQL from ``storage/queries/classify_*.sql``.
For every listed observation of a run it builds the classifier's input from the observation, its
description version (the latest earlier one when this run did not fetch the description) and the seller's
legal identity, records which text version the observation had (``observation_classifications``) and
classifies each text version not classified before (``listing_classifications`` + claims, signals and entity
matches); ``classified_runs`` marks runs done. The views ``storage/views/01*_*.sql`` (one per file) turn
this into first/last seen per claim, signal, entity and verdict.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator
from contextlib import nullcontext

import duckdb

from marketplace_spiders.classify.engine import PASSTHROUGH_FIELDS, Classifier
from marketplace_spiders.classify.matching import TEXT_FIELDS
from marketplace_spiders.classify.rules import GENERIC
from marketplace_spiders.classify.sanctions import load_sanctioned_parties
from marketplace_spiders.sql import append_rows, query, transaction

log = logging.getLogger(__name__)

INPUT_FIELDS = (*TEXT_FIELDS, "seller_inn", "seller_ogrn")  # what the classifier reads: a text version

# json.dumps(..., ensure_ascii=False, sort_keys=True, default=str) and json.dumps(..., ensure_ascii=False,
# default=str), without building an encoder per call.
_KEY_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True, default=str)
_RESULT_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str)


def text_key(listing: dict) -> str:
    """sha256 of the classifier input of a listing (its text version)."""
    payload = _KEY_ENCODER.encode([listing.get(f) for f in INPUT_FIELDS])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


CHUNK_SIZE = 5_000  # listings read, classified and appended at a time: memory stays flat on large runs


def _run_listings(con: duckdb.DuckDBPyConnection, run_id: str) -> Iterator[list[dict]]:
    """The run's listed observations with their classifier input, in chunks of ``CHUNK_SIZE``.

    They are put in a temp table first (inside the caller's transaction, so the run's uncommitted rows are
    seen) and read back a chunk at a time: a fetchall of a 200,000-listing run held over 1 GB in Python. Which
    observations, with which description and seller identity, and in which order: classify_stage_input.sql."""
    con.execute(query("classify_stage_input"), {"run_id": run_id})
    try:
        total = con.execute("SELECT count(*) FROM classify_run_input").fetchone()[0]
        for start in range(1, total + 1, CHUNK_SIZE):
            cur = con.execute(query("classify_input_chunk"), [start, start + CHUNK_SIZE - 1])
            columns = [d[0] for d in cur.description]
            chunk = []
            for row in cur.fetchall():
                listing = dict(zip(columns, row, strict=True))
                if listing["characteristics"]:
                    listing["characteristics"] = json.loads(listing["characteristics"])
                chunk.append(listing)
            yield chunk
    finally:
        con.execute("DROP TABLE IF EXISTS classify_run_input")


def _chunk_done(con: duckdb.DuckDBPyConnection, run_id: str,
                chunk: list[dict]) -> tuple[set[tuple[str, str, str]], set[tuple[str, str, object]]]:
    """For the chunk's listings: the text versions already classified, and the run's observations already
    recorded (by an earlier chunk that split a listing's observations, or by an earlier, interrupted try).
    Asked per chunk so that memory does not grow with the run."""
    params = {"marketplaces": [listing["marketplace"] for listing in chunk],
              "product_ids": [listing["product_id"] for listing in chunk]}
    keys = con.execute(query("classify_done_text_versions"), params).fetchall()
    observations = con.execute(query("classify_done_observations"), {**params, "run_id": run_id}).fetchall()
    return set(keys), set(observations)


CLASSIFICATION_COLUMNS = ("marketplace", "product_id", "text_key", "description_hash", "classifier_version",
                          "run_id", "classified_at", "verdict", "reasons", "product_ids", "details")
CLAIM_COLUMNS = ("marketplace", "product_id", "text_key", "category", "matched_text", "field", "illegal_for_bad")
SIGNAL_COLUMNS = ("marketplace", "product_id", "text_key", "signal_id", "kind", "strength", "matched_text", "field")
ENTITY_COLUMNS = ("marketplace", "product_id", "text_key", "entity_id", "entity_name", "source", "field",
                  "matched_text", "matched_name", "score", "method", "evidence", "sanctioned", "un_reference",
                  "ofac_ent_num")
RUN_CACHE_SIZE = 2048  # classifications kept for listings of the same run with the same input
OBSERVATION_COLUMNS = ("run_id", "marketplace", "product_id", "observed_at", "text_key")
TABLE_COLUMNS = {
    "listing_classifications": CLASSIFICATION_COLUMNS, "classification_claims": CLAIM_COLUMNS,
    "classification_signals": SIGNAL_COLUMNS, "classification_entity_matches": ENTITY_COLUMNS,
    "observation_classifications": OBSERVATION_COLUMNS,
}


def named_products(result: dict) -> list[str]:
    """Ids of the named products a classification found (generic words like кордицепс are not products)."""
    return sorted({p["id"] for p in result["products"] if p["specificity"] != GENERIC})


class _Batch:
    """Rows of the classification tables, collected in memory and appended in one statement per table."""

    def __init__(self) -> None:
        self.rows: dict[str, list[tuple]] = {
            "listing_classifications": [], "classification_claims": [], "classification_signals": [],
            "classification_entity_matches": [], "observation_classifications": [],
        }

    def add_classification(self, listing: dict, key: str, result: dict) -> None:
        ids = (listing["marketplace"], listing["product_id"], key)
        self.rows["listing_classifications"].append((
            *ids, listing["description_hash"], result["classifier_version"], listing["run_id"],
            listing["observed_at"], result["verdict"], result["reasons"], named_products(result),
            # only what no other column or table holds: the full output of a 200,000-listing first run held
            # ~280 MB more in the transaction of a 200,000-listing run (measured)
            _RESULT_ENCODER.encode({"products": result["products"], "counter_signals": result["counter_signals"]}),
        ))
        self.rows["classification_claims"] += [
            (*ids, c["category"], c["text"], c["field"], c["illegal_for_bad"]) for c in result["claims"]]
        self.rows["classification_signals"] += [
            (*ids, s["id"], s["kind"], s["strength"], s["text"], s["field"]) for s in result["origin_signals"]]
        self.rows["classification_entity_matches"] += [
            (*ids, e["entity_id"], e["name"], e["source"], e["field"], e["text"], e["matched_name"], e["score"],
             e["method"], e["evidence"], e["sanctioned"], e["un_reference"], e["ofac_ent_num"])
            for e in result["entities"]]

    def write(self, con: duckdb.DuckDBPyConnection) -> None:
        for table, rows in self.rows.items():
            append_rows(con, table, TABLE_COLUMNS[table], rows)


def update_classifications(con: duckdb.DuckDBPyConnection, run_id: str, classifier: Classifier | None = None,
                           commit_chunks: bool = False) -> int:
    """Classify the run's listings per text version not classified before, and mark the run classified
    (``classified_runs``); returns how many text versions were classified.

    Rows are appended per table in one statement per chunk of ``CHUNK_SIZE`` listings. With
    ``commit_chunks`` each chunk (and the final mark) is its own transaction, so memory stays bounded and a
    run interrupted half-way is finished by the next call; otherwise ``con`` is inside the caller's
    transaction and this function neither begins nor commits. Re-running it for the same run adds nothing.
    """
    if classifier is None:
        classifier = Classifier(sanctioned_parties=load_sanctioned_parties(con))
    classified = 0
    # Listings of the run with the same input are classified once (the input exactly: text_key sorts the keys of
    # the characteristics, whose order can change the order of the hits).
    results: dict[bytes, dict] = {}
    for chunk in _run_listings(con, run_id):
        batch = _Batch()
        done, seen_observations = _chunk_done(con, run_id, chunk)
        for listing in chunk:
            classified += _classify_one(listing, run_id, classifier, batch, done, seen_observations, results)
        with transaction(con) if commit_chunks else nullcontext():
            batch.write(con)
    with transaction(con) if commit_chunks else nullcontext():
        con.execute(query("classify_mark_run"), [run_id, classifier.version, classified])
    return classified


def classify_pending_runs(con: duckdb.DuckDBPyConnection, classifier: Classifier | None = None) -> dict[str, int]:
    """Classify every run without a ``classified_runs`` row, oldest first, each chunk in its own transaction
    (after an ingest; also finishes an interrupted classification or rebuild and back-fills runs ingested
    before classification existed). Returns the number of runs and text versions classified."""
    pending = [r[0] for r in con.execute(query("classify_pending_runs")).fetchall()]
    if not pending:
        return {"runs": 0, "text_versions": 0}
    if classifier is None:
        classifier = Classifier(sanctioned_parties=load_sanctioned_parties(con))
    classified = 0
    for run_id in pending:
        count = update_classifications(con, run_id, classifier, commit_chunks=True)
        log.info("classified %d new text version(s) of run %s", count, run_id)
        classified += count
    return {"runs": len(pending), "text_versions": classified}


def _classify_one(listing: dict, run_id: str, classifier: Classifier, batch: _Batch, done: set, seen: set,
                  results: dict[bytes, dict]) -> int:
    """Add one listed observation (and its classification, if its text version is new) to ``batch``; 1 if
    classified."""
    classified = 0
    key = text_key(listing)
    ids = (listing["marketplace"], listing["product_id"], key)
    if ids not in done:
        # a digest, not the text: the cache must not hold the run's longest descriptions
        same_input = hashlib.sha256(_RESULT_ENCODER.encode([listing.get(f) for f in INPUT_FIELDS])
                                    .encode("utf-8", "surrogatepass")).digest()
        if same_input not in results:
            if len(results) >= RUN_CACHE_SIZE:
                results.clear()  # memory stays bounded on large runs
            results[same_input] = classifier.classify(listing)
        # only the passed-through marketplace and product_id differ
        result = {**results[same_input], **{k: listing[k] for k in PASSTHROUGH_FIELDS}}
        batch.add_classification(listing, key, result)
        done.add(ids)
        classified = 1
    observation = (listing["marketplace"], listing["product_id"], listing["observed_at"])
    if observation not in seen:
        batch.rows["observation_classifications"].append((run_id, *observation, key))
        seen.add(observation)
    return classified


CLASSIFICATION_TABLES = ("observation_classifications", "classification_claims", "classification_signals",
                         "classification_entity_matches", "listing_classifications", "classified_runs")


def rebuild_classifications(con: duckdb.DuckDBPyConnection, classifier: Classifier | None = None) -> dict[str, int]:
    """Classify the whole history again with the current rules and imported lists (after a data edit or a
    sanctions import, or for a database ingested before classification existed); returns the number of runs
    and text versions classified.

    The old classifications are deleted in one transaction, then every run is classified as after an ingest
    (``classify_pending_runs``: committed chunks, so memory stays bounded on a long history). Meanwhile the
    classification views show the runs done so far; if the rebuild is interrupted, the next ingest or rebuild
    finishes it. The caller refreshes the analysis tables afterwards (``Database.refresh_bounded``), which
    until then keep the previous verdicts."""
    if classifier is None:
        classifier = Classifier(sanctioned_parties=load_sanctioned_parties(con))
    with transaction(con):
        for table in CLASSIFICATION_TABLES:
            con.execute(f"DELETE FROM {table}")
    return classify_pending_runs(con, classifier)
