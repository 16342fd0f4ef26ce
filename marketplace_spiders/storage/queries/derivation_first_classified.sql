-- After a reparse of run $run_id is classified again: each text version of the run's listings records the run and
-- time of its first observation (listing_classifications.run_id, classified_at), as if the history had been
-- crawled with this derivation from the start (a version first read by a later run, before the reparse, now
-- dates from this run). Bound: $run_id.
UPDATE listing_classifications AS c SET run_id = f.first_run_id, classified_at = f.first_observed_at
FROM (
    SELECT o.marketplace, o.product_id, o.text_key, min(o.observed_at) AS first_observed_at,
           arg_min(o.run_id, (o.observed_at, r.started_at, o.run_id)) AS first_run_id
    FROM observation_classifications AS o
    INNER JOIN crawl_runs AS r ON r.run_id = o.run_id
    WHERE (o.marketplace, o.product_id) IN (SELECT marketplace, product_id FROM listing_observations
                                            WHERE run_id = $run_id)
    GROUP BY o.marketplace, o.product_id, o.text_key
) AS f
WHERE c.marketplace = f.marketplace AND c.product_id = f.product_id AND c.text_key = f.text_key
  AND (c.run_id IS DISTINCT FROM f.first_run_id OR c.classified_at IS DISTINCT FROM f.first_observed_at)
