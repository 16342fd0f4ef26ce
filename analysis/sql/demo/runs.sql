-- make demo: every run with its status and the reasons for it, oldest first.
SELECT run_id, status, coalesce(status_reasons, '') AS status_reasons FROM crawl_runs ORDER BY started_at, run_id
