-- A listing is 'gone' only when its marketplace's latest run was 'ok' (a failed, degraded or unanswered check
-- leaves it 'unknown', never gone), and a listing the latest run did not check is never gone.
SELECT l.marketplace, l.product_id, l.status, r.status AS run_status
FROM current_listings AS l
LEFT JOIN crawl_runs AS r ON r.run_id = l.status_run_id
WHERE l.status = 'gone' AND r.status IS DISTINCT FROM 'ok'
UNION ALL
SELECT l.marketplace, l.product_id, l.status, 'not checked'
FROM current_listings AS l
WHERE l.status = 'gone' AND l.last_known_run_id IS DISTINCT FROM l.status_run_id
  AND NOT EXISTS (SELECT 1 FROM listing_run_checks AS c
                  WHERE c.run_id = l.status_run_id AND c.marketplace = l.marketplace AND c.product_id = l.product_id)
