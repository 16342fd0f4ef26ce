-- A replayed run remembers which recording it replayed, so the same recording is ingested once.
-- recording_id: 'sha256:<hex>' over the recording's meta.json, responses.jsonl, every response body and the
-- replay parameters that change its rows (REPLAY_OBSERVED_AT, the terms argument); NULL for live crawls.
-- Database.ingest_run refuses a run whose recording_id is already in crawl_runs (logged, nothing doubled).
ALTER TABLE crawl_runs ADD COLUMN recording_id VARCHAR;
