-- A price change compares two prices of one currency: both observations it joins are in its currency.
SELECT pc.marketplace, pc.product_id, pc.currency, o1.currency AS old_currency, o2.currency AS new_currency
FROM price_changes AS pc
LEFT JOIN listing_observations AS o1
    ON o1.marketplace = pc.marketplace AND o1.product_id = pc.product_id AND o1.run_id = pc.old_run_id
   AND o1.observed_at = pc.old_observed_at AND o1.price = pc.old_price
LEFT JOIN listing_observations AS o2
    ON o2.marketplace = pc.marketplace AND o2.product_id = pc.product_id AND o2.run_id = pc.new_run_id
   AND o2.observed_at = pc.new_observed_at AND o2.price = pc.new_price
WHERE o1.currency IS DISTINCT FROM pc.currency OR o2.currency IS DISTINCT FROM pc.currency
