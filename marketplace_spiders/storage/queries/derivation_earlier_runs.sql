-- How many runs of $marketplace started before run $run_id, and the latest of them (the history's run count).
SELECT count(*), arg_max(run_id, (started_at, run_id))
FROM crawl_runs
WHERE marketplace = $marketplace
  AND (started_at, run_id) < (SELECT (started_at, run_id) FROM crawl_runs WHERE run_id = $run_id)
