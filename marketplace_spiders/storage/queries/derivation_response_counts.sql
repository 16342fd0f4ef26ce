-- Fetches with a response in the superseded and in the new derivation of run $run_id (bound: $run_id, $derivation).
SELECT
    (SELECT count(*) FROM superseded.fetches
     WHERE run_id = $run_id AND superseded_by_derivation = $derivation AND response_sha256 IS NOT NULL),
    (SELECT count(*) FROM main.fetches WHERE run_id = $run_id AND response_sha256 IS NOT NULL),
    (SELECT count(*) FROM main.fetches WHERE run_id = $run_id AND response_sha256 IS NULL)
