-- Price changes of the report listings in the period (the new price observed in it): one row per change
-- between two consecutive trusted observations of a listing in the same currency (price_changes; a listing
-- shown in another currency is never a price change). Parameters: $since, $until.
-- Needs the temp table report_listings (report_listings.sql).
WITH selected AS (
    SELECT marketplace, product_id, string_agg(DISTINCT watch_product, ', ' ORDER BY watch_product)
        AS watch_products
    FROM report_listings
    GROUP BY marketplace, product_id
),

final AS (
    SELECT
        p.marketplace,
        p.product_id,
        s.watch_products,
        c.title,
        c.seller_name,
        p.currency,
        p.old_price,
        p.new_price,
        p.change_abs,
        p.change_rel,
        p.old_observed_at,
        p.new_observed_at,
        p.new_run_id
    FROM price_changes AS p
    INNER JOIN selected AS s ON s.marketplace = p.marketplace AND s.product_id = p.product_id
    LEFT JOIN current_listings AS c ON c.marketplace = p.marketplace AND c.product_id = p.product_id
    WHERE ($since::TIMESTAMP IS NULL OR p.new_observed_at >= $since::TIMESTAMP)
        AND ($until::TIMESTAMP IS NULL OR p.new_observed_at < $until::TIMESTAMP)
)

SELECT * FROM final ORDER BY new_observed_at, marketplace, product_id
