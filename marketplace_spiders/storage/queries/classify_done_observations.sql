-- Observations of a run ($run_id) already recorded for a chunk's listings ($marketplaces, $product_ids).
SELECT c.marketplace, c.product_id, c.observed_at
FROM observation_classifications AS c
SEMI JOIN (SELECT unnest($marketplaces) AS marketplace, unnest($product_ids) AS product_id) AS o
    ON o.marketplace = c.marketplace AND o.product_id = c.product_id
WHERE c.run_id = $run_id
