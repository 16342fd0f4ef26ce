-- Runs not classified yet, oldest first.
SELECT run_id FROM crawl_runs WHERE run_id NOT IN (SELECT run_id FROM classified_runs) ORDER BY started_at, run_id
