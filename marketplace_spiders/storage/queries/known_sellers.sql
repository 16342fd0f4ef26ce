-- seller_id -> latest observation time, of one marketplace ($marketplace): which seller documents are stale. With
-- $before_run (a reparse) only runs that started before it count, so a reparse asks for the seller documents the
-- run itself asked for.
SELECT s.seller_id, max(s.observed_at)
FROM seller_observations AS s
WHERE s.marketplace = $marketplace
  AND ($before_run IS NULL
       OR s.run_id IN (SELECT run_id FROM crawl_runs
                       WHERE marketplace = $marketplace
                         AND (started_at, run_id) < (SELECT (started_at, run_id) FROM crawl_runs
                                                     WHERE run_id = $before_run)))
GROUP BY s.seller_id
