-- How many runs $marketplace has, and its latest run's id; with $before_run (a reparse) only the runs that started
-- before that run.
SELECT count(*), arg_max(run_id, (started_at, run_id))
FROM crawl_runs
WHERE marketplace = $marketplace
  AND ($before_run IS NULL
       OR (started_at, run_id) < (SELECT (started_at, run_id) FROM crawl_runs WHERE run_id = $before_run))
