-- Daily price of each watchlist product per seller legal entity and currency: median, min and max of the
-- prices observed on that day over the entity's listings of the product. Prices in different currencies
-- are never aggregated together (one row per currency). Parameters: $since, $until.
-- Needs the temp table report_listings (report_listings.sql).
WITH watched AS (
    SELECT DISTINCT marketplace, product_id, watch_product
    FROM report_listings
    WHERE watch_product IS NOT NULL
),

prices AS (
    SELECT w.watch_product, s.marketplace, s.product_id, s.seller_id, s.seller_name, s.observed_at, s.price,
        s.currency
    FROM listing_states AS s
    INNER JOIN watched AS w ON w.marketplace = s.marketplace AND w.product_id = s.product_id
    WHERE s.price IS NOT NULL
        AND ($since::TIMESTAMP IS NULL OR s.observed_at >= $since::TIMESTAMP)
        AND ($until::TIMESTAMP IS NULL OR s.observed_at < $until::TIMESTAMP)
),

with_entity AS (
    SELECT
        p.*,
        coalesce(se.legal_name, se.name, p.seller_name, p.marketplace || ':' || p.seller_id) AS seller,
        se.inn AS seller_inn
    FROM prices AS p
    LEFT JOIN sellers AS se ON se.marketplace = p.marketplace AND se.seller_id = p.seller_id
),

final AS (
    SELECT
        watch_product,
        seller,
        any_value(seller_inn) AS seller_inn,
        currency,
        observed_at::DATE AS day,
        median(price) AS median_price,
        min(price) AS min_price,
        max(price) AS max_price,
        count(DISTINCT product_id) AS listings
    FROM with_entity
    GROUP BY watch_product, seller, currency, day
)

SELECT * FROM final ORDER BY watch_product, seller, currency, day
