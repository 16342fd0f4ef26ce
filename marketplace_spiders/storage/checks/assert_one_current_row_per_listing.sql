-- current_listings holds one row per listing, and its materialised table equals its live view.
SELECT marketplace, product_id, count(*) AS copies FROM current_listings GROUP BY ALL HAVING count(*) > 1
UNION ALL
SELECT marketplace, product_id, -1 FROM (
    (SELECT * FROM current_listings EXCEPT ALL SELECT * FROM current_listings_live)
    UNION ALL
    (SELECT * FROM current_listings_live EXCEPT ALL SELECT * FROM current_listings))
