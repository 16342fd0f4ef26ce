-- Fetches of the superseded derivation that got no response (a timeout, a refused connection): nothing in the archive
-- to parse again, yet the attempt is a fact of the run. Carried into the new derivation unless it has a row for the
-- same request itself. Bound: $run_id, $derivation (the new one). Returns the rows carried, inside the transaction.
INSERT INTO main.fetches BY NAME
SELECT * EXCLUDE (superseded_at, superseded_by_derivation) REPLACE ($derivation::INTEGER AS derivation)
FROM superseded.fetches AS o
WHERE o.run_id = $run_id AND o.superseded_by_derivation = $derivation AND o.response_sha256 IS NULL
  AND NOT EXISTS (SELECT 1 FROM main.fetches AS n
                  WHERE n.run_id = $run_id AND n.url = o.url AND n.page_type = o.page_type)
