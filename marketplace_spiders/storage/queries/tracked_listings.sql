-- Listings already known for one marketplace ($1), with their latest listed state and when their
-- content document was last fetched; the spider revisits all of them every run.
WITH latest_listed AS (
    SELECT product_id, url, description_hash, country_of_origin, manufacturer, category, seller_id,
           row_number() OVER (PARTITION BY product_id ORDER BY observed_at DESC) AS rn
    FROM listing_observations
    WHERE marketplace = $1 AND listing_status = 'listed'
),
content_fetches AS (
    SELECT product_id, max(fetched_at) AS content_fetched_at
    FROM (
        SELECT unnest(product_ids) AS product_id, fetched_at
        FROM fetches
        WHERE marketplace = $1 AND page_type = 'content' AND outcome = 'ok'
    )
    GROUP BY product_id
),
final AS (
    SELECT l.product_id, coalesce(o.url, l.url) AS url, o.description_hash, o.country_of_origin,
           o.manufacturer, o.category, o.seller_id, c.content_fetched_at
    FROM listings AS l
    LEFT JOIN latest_listed AS o ON o.product_id = l.product_id AND o.rn = 1
    LEFT JOIN content_fetches AS c ON c.product_id = l.product_id
    WHERE l.marketplace = $1
)
SELECT * FROM final ORDER BY product_id
