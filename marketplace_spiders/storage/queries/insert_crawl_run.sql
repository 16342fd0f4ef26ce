-- The crawl_runs row of an ingested run (bound, in order: run_id, marketplace, started_at, finished_at, status,
-- status_reasons, request_count, item_count, error_count, blocked_count, replay, recording_id, evidence_path,
-- evidence_sha256, evidence_tokens); ingested_at is now.
INSERT INTO crawl_runs BY NAME SELECT * FROM (SELECT
    ?::VARCHAR AS run_id, ?::VARCHAR AS marketplace, ?::TIMESTAMP AS started_at,
    ?::TIMESTAMP AS finished_at, ?::VARCHAR AS status, ?::VARCHAR AS status_reasons,
    ?::INTEGER AS request_count, ?::INTEGER AS item_count, ?::INTEGER AS error_count,
    ?::INTEGER AS blocked_count, ?::BOOLEAN AS replay, ?::VARCHAR AS recording_id,
    ?::VARCHAR AS evidence_path, ?::VARCHAR AS evidence_sha256, ?::INTEGER AS evidence_tokens,
    (now() AT TIME ZONE 'UTC')::TIMESTAMP AS ingested_at)
