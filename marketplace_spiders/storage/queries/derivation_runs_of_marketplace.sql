-- The runs of one marketplace ($marketplace), oldest first: a reparse of all of them goes in this order, so each run's
-- history (what it copied from earlier runs) is already the corrected one.
SELECT run_id FROM crawl_runs WHERE marketplace = $marketplace ORDER BY started_at, run_id
