-- Prices are never negative.
SELECT run_id, marketplace, product_id, price, price_before_discount
FROM listing_observations
WHERE price < 0 OR price_before_discount < 0
