-- A listed, orderable observation always has a price (a missing one is a LayoutError, never a silent NULL).
SELECT run_id, marketplace, product_id, observed_at, source
FROM listing_observations
WHERE listing_status = 'listed' AND in_stock AND price IS NULL
