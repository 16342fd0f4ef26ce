-- The listing the demo suggests exporting as an evidence bundle: the one classified as a DPRK product with the
-- most archived observations (ties: marketplace, product id).
SELECT c.marketplace, c.product_id, count(*) AS observations
FROM current_listings AS c
JOIN evidence_of_rows AS e
    ON e.row_kind = 'listing_observation' AND e.marketplace = c.marketplace AND e.product_id = c.product_id
WHERE c.verdict = 'strong' AND e.warc_record_id IS NOT NULL
GROUP BY ALL
ORDER BY observations DESC, c.marketplace, c.product_id
LIMIT 1
