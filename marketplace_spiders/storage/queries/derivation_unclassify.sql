-- A reparse of run $run_id changes what its observations say: its classification is undone here, inside the
-- reparse's transaction, and redone by classify_pending_runs after the commit (Database.after_ingest). When the
-- reparse changed what later runs read from this one ($later: a description version, an observation added or
-- removed, a seller's legal identity), the classifier input of every later run of the marketplace may differ too
-- (classify_stage_input.sql carries a description forward and reads a seller's identity as of the run), so their
-- classification is undone as well. Text versions the undone observations had and no observation has any more are
-- removed with their claims, signals and entities: a text only the old parser read leaves no verdict behind.
-- Text versions still classified stay (not classified twice). Statements run in order. Bound: $run_id, $later.
CREATE OR REPLACE TEMP TABLE derivation_reclassify AS
SELECT run_id FROM crawl_runs
WHERE run_id = $run_id
   OR ($later AND marketplace = (SELECT marketplace FROM crawl_runs WHERE run_id = $run_id)
       AND (started_at, run_id) > (SELECT (started_at, run_id) FROM crawl_runs WHERE run_id = $run_id));

CREATE OR REPLACE TEMP TABLE derivation_undone_versions AS
SELECT DISTINCT marketplace, product_id, text_key FROM observation_classifications
WHERE run_id IN (SELECT run_id FROM derivation_reclassify);

DELETE FROM observation_classifications WHERE run_id IN (SELECT run_id FROM derivation_reclassify);
DELETE FROM classified_runs WHERE run_id IN (SELECT run_id FROM derivation_reclassify);

CREATE OR REPLACE TEMP TABLE derivation_orphans AS
SELECT v.marketplace, v.product_id, v.text_key
FROM derivation_undone_versions AS v
WHERE NOT EXISTS (SELECT 1 FROM observation_classifications AS o
                  WHERE o.marketplace = v.marketplace AND o.product_id = v.product_id AND o.text_key = v.text_key);

DELETE FROM classification_claims
WHERE (marketplace, product_id, text_key) IN (SELECT marketplace, product_id, text_key FROM derivation_orphans);
DELETE FROM classification_signals
WHERE (marketplace, product_id, text_key) IN (SELECT marketplace, product_id, text_key FROM derivation_orphans);
DELETE FROM classification_entity_matches
WHERE (marketplace, product_id, text_key) IN (SELECT marketplace, product_id, text_key FROM derivation_orphans);
DELETE FROM listing_classifications
WHERE (marketplace, product_id, text_key) IN (SELECT marketplace, product_id, text_key FROM derivation_orphans);

DROP TABLE derivation_reclassify;
DROP TABLE derivation_undone_versions;
DROP TABLE derivation_orphans
