-- known_sellers.sql as it was before one run started (bound: $marketplace, $run_id): seller_id -> latest observation
-- time in earlier runs, so a reparse asks for the seller documents the run itself asked for.
SELECT s.seller_id, max(s.observed_at)
FROM seller_observations AS s
WHERE s.marketplace = $marketplace
  AND s.run_id IN (SELECT run_id FROM crawl_runs
                   WHERE marketplace = $marketplace
                     AND (started_at, run_id) < (SELECT (started_at, run_id) FROM crawl_runs WHERE run_id = $run_id))
GROUP BY s.seller_id
