-- Responses the new derivation of run $run_id read that the run never received (not among the superseded
-- derivation's response hashes): a sign the archive given is not this run's. Bound: $run_id, $derivation (the new).
SELECT count(DISTINCT n.response_sha256), any_value(n.url)
FROM main.fetches AS n
WHERE n.run_id = $run_id AND n.response_sha256 IS NOT NULL
  AND n.response_sha256 NOT IN (SELECT response_sha256 FROM superseded.fetches
                                WHERE run_id = $run_id AND superseded_by_derivation = $derivation
                                  AND response_sha256 IS NOT NULL)
