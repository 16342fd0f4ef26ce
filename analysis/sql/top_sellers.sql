-- Sellers by legal entity (INN, else OGRN, else marketplace seller id) over the report listings that
-- were listed at some time in the period, largest first. median_price_rub is over the listings priced in
-- roubles only (prices in other currencies are never mixed in; price_currencies lists those seen).
-- Parameters: $since, $until, $limit.
-- Needs the temp table report_listings (report_listings.sql).
WITH selected AS (
    SELECT DISTINCT marketplace, product_id
    FROM report_listings
),

active AS (
    SELECT c.*
    FROM current_listings AS c
    SEMI JOIN selected AS s ON s.marketplace = c.marketplace AND s.product_id = c.product_id
    WHERE ($since::TIMESTAMP IS NULL OR c.last_seen >= $since::TIMESTAMP)
        AND ($until::TIMESTAMP IS NULL OR c.first_seen < $until::TIMESTAMP)
),

with_entity AS (
    SELECT
        *,
        CASE
            WHEN nullif(trim(seller_inn), '') IS NOT NULL THEN 'inn:' || trim(seller_inn)
            WHEN nullif(trim(seller_ogrn), '') IS NOT NULL THEN 'ogrn:' || trim(seller_ogrn)
            ELSE 'seller:' || marketplace || ':' || coalesce(seller_id, '?')
        END AS entity_key
    FROM active
),

final AS (
    SELECT
        entity_key,
        any_value(seller_inn) AS inn,
        any_value(seller_ogrn) AS ogrn,
        string_agg(DISTINCT seller_legal_name, '; ' ORDER BY seller_legal_name) AS legal_names,
        string_agg(DISTINCT seller_name, '; ' ORDER BY seller_name) AS storefront_names,
        string_agg(DISTINCT marketplace, ', ' ORDER BY marketplace) AS marketplaces,
        count(DISTINCT marketplace || ':' || coalesce(seller_id, '?')) AS storefronts,
        count(*) AS listings,
        count(*) FILTER (WHERE status = 'available') AS available_now,
        median(price) FILTER (WHERE currency = 'RUB') AS median_price_rub,
        string_agg(DISTINCT currency, ', ' ORDER BY currency) FILTER (WHERE price IS NOT NULL)
            AS price_currencies,
        min(first_seen) AS first_seen,
        max(last_seen) AS last_seen
    FROM with_entity
    GROUP BY entity_key
)

SELECT * FROM final ORDER BY listings DESC, entity_key LIMIT $limit
