-- seller_activity: one row per seller legal entity: the INN when known, else the OGRN, else the
-- marketplace seller id (then one storefront = one row). Shows whether one entity runs many storefronts.
-- Columns:
--   entity_key          'inn:<INN>' | 'ogrn:<OGRN>' | 'seller:<marketplace>:<seller_id>'
--   inn, ogrn           tax / registration numbers (NULL when no marketplace published them)
--   legal_names         distinct legal names seen (sellers.legal_name)
--   marketplaces        distinct marketplace slugs
--   seller_ids          distinct '<marketplace>:<seller_id>' storefront ids
--   storefront_names    distinct storefront (display) names, from sellers and seller_observations
--   storefronts         number of storefronts (marketplace seller ids)
--   listings            number of distinct listings seen listed under this entity
--   first_seen, last_seen   first / last trusted listed observation of any of its listings (UTC)
--   min_price, max_price    lowest / highest rouble (RUB) price observed on its listings; prices in
--                           other currencies are not compared with them (NULL when none was in RUB)
--   currencies              distinct currencies its listings were priced in
CREATE OR REPLACE VIEW seller_activity AS
WITH storefronts AS (
    SELECT
        marketplace,
        seller_id,
        name,
        legal_name,
        nullif(trim(inn), '') AS inn,
        nullif(trim(ogrn), '') AS ogrn
    FROM sellers
),

entities AS (
    SELECT
        *,
        CASE
            WHEN inn IS NOT NULL THEN 'inn:' || inn
            WHEN ogrn IS NOT NULL THEN 'ogrn:' || ogrn
            ELSE 'seller:' || marketplace || ':' || seller_id
        END AS entity_key
    FROM storefronts
),

storefront_names AS (
    SELECT marketplace, seller_id, name FROM sellers WHERE name IS NOT NULL
    UNION
    SELECT marketplace, seller_id, name FROM seller_observations WHERE name IS NOT NULL
),

names_per_entity AS (
    SELECT e.entity_key, list(DISTINCT n.name ORDER BY n.name) AS storefront_names
    FROM storefront_names AS n
    INNER JOIN entities AS e ON e.marketplace = n.marketplace AND e.seller_id = n.seller_id
    GROUP BY e.entity_key
),

listing_activity AS (
    SELECT
        marketplace,
        seller_id,
        count(DISTINCT product_id) AS listings,
        min(observed_at) AS first_seen,
        max(observed_at) AS last_seen,
        min(price) FILTER (WHERE currency = 'RUB') AS min_price,
        max(price) FILTER (WHERE currency = 'RUB') AS max_price,
        list(DISTINCT currency) FILTER (WHERE price IS NOT NULL AND currency IS NOT NULL) AS currencies
    FROM listing_states
    WHERE listing_status = 'listed' AND seller_id IS NOT NULL
    GROUP BY marketplace, seller_id
),

final AS (
    SELECT
        e.entity_key,
        any_value(e.inn) AS inn,
        any_value(e.ogrn) AS ogrn,
        list(DISTINCT e.legal_name ORDER BY e.legal_name) FILTER (WHERE e.legal_name IS NOT NULL)
            AS legal_names,
        list(DISTINCT e.marketplace ORDER BY e.marketplace) AS marketplaces,
        list(DISTINCT e.marketplace || ':' || e.seller_id ORDER BY e.marketplace || ':' || e.seller_id)
            AS seller_ids,
        any_value(n.storefront_names) AS storefront_names,
        count(DISTINCT e.marketplace || ':' || e.seller_id) AS storefronts,
        coalesce(sum(a.listings), 0)::BIGINT AS listings,
        min(a.first_seen) AS first_seen,
        max(a.last_seen) AS last_seen,
        min(a.min_price) AS min_price,
        max(a.max_price) AS max_price,
        list_sort(list_distinct(flatten(list(a.currencies) FILTER (WHERE a.currencies IS NOT NULL))))
            AS currencies
    FROM entities AS e
    LEFT JOIN listing_activity AS a ON a.marketplace = e.marketplace AND a.seller_id = e.seller_id
    LEFT JOIN names_per_entity AS n ON n.entity_key = e.entity_key
    GROUP BY e.entity_key
)

SELECT * FROM final
