-- The first run that ingested this recording (bound: the recording id), if any: a replay of it is not ingested again.
SELECT run_id FROM crawl_runs WHERE recording_id = ? ORDER BY started_at LIMIT 1
