-- The new derivation's fetches point to the same archive records as the old one's: a reparse writes no archive, so
-- its rows get the pointers ({assignments}: every warc_* column, from storage/derivations.py) of the old row with the
-- same request and response body. Bound: $run_id, $derivation (the new one).
UPDATE main.fetches AS n SET {assignments}
FROM superseded.fetches AS o
WHERE n.run_id = $run_id AND o.run_id = $run_id AND o.superseded_by_derivation = $derivation
  AND n.url = o.url AND n.response_sha256 = o.response_sha256 AND n.warc_record_id IS NULL
