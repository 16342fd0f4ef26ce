-- Search results per term of the last $runs runs of marketplace $marketplace (oldest first), for run-health checks;
-- with $before_run (a reparse) the last $runs runs that started before that run. Only terms whose search answered
-- successfully count; a successful search with no hits counts 0.
WITH recent AS (
    SELECT run_id, status, started_at
    FROM crawl_runs
    WHERE marketplace = $marketplace
      AND ($before_run IS NULL
           OR (started_at, run_id) < (SELECT (started_at, run_id) FROM crawl_runs WHERE run_id = $before_run))
    ORDER BY started_at DESC, run_id DESC
    LIMIT $runs
),
searched AS (
    SELECT DISTINCT run_id, term
    FROM fetches
    WHERE page_type = 'search' AND outcome = 'ok' AND run_id IN (SELECT run_id FROM recent)
),
hits AS (
    SELECT run_id, term, count(*) AS n
    FROM search_hits
    WHERE run_id IN (SELECT run_id FROM recent)
    GROUP BY run_id, term
),
final AS (
    SELECT r.run_id, r.status, r.started_at, s.term, coalesce(h.n, 0) AS items
    FROM recent AS r
    JOIN searched AS s USING (run_id)
    LEFT JOIN hits AS h USING (run_id, term)
)
SELECT * FROM final ORDER BY started_at, run_id, term
