-- Listings first seen listed in the period ($since inclusive, $until exclusive; NULL = open).
-- Needs the temp table report_listings (report_listings.sql).
WITH selected AS (
    SELECT marketplace, product_id, string_agg(DISTINCT watch_product, ', ' ORDER BY watch_product)
        AS watch_products
    FROM report_listings
    GROUP BY marketplace, product_id
),

final AS (
    SELECT
        c.marketplace,
        c.product_id,
        s.watch_products,
        c.title,
        c.seller_name,
        c.seller_legal_name,
        c.seller_inn,
        c.price,
        c.currency,
        c.first_seen,
        c.status,
        c.url
    FROM current_listings AS c
    INNER JOIN selected AS s ON s.marketplace = c.marketplace AND s.product_id = c.product_id
    WHERE ($since::TIMESTAMP IS NULL OR c.first_seen >= $since::TIMESTAMP)
        AND ($until::TIMESTAMP IS NULL OR c.first_seen < $until::TIMESTAMP)
)

SELECT * FROM final ORDER BY first_seen, marketplace, product_id
