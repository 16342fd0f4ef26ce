-- How many runs a marketplace has (bound: the marketplace), and its latest run's id.
SELECT count(*), arg_max(run_id, started_at) FROM crawl_runs WHERE marketplace = ?
