-- Is this run already ingested? (bound: the run id)
SELECT 1 FROM crawl_runs WHERE run_id = ?
