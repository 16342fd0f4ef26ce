-- The listing an evidence bundle is exported for: marketplace $1, product id $2 (no row: an unknown listing),
-- with how many observations it has in all and in the window [$3, $4) (NULL = open), so an export can say
-- "known, but nothing in that window" instead of writing an empty bundle.
WITH counted AS (
    SELECT
        count(*) AS observations,
        count(*) FILTER (WHERE ($3 IS NULL OR observed_at >= $3) AND ($4 IS NULL OR observed_at < $4))
            AS observations_in_window
    FROM listing_observations
    WHERE marketplace = $1 AND product_id = $2
),
final AS (
    SELECT l.marketplace, l.product_id, l.url, l.first_seen, l.last_seen, c.observations, c.observations_in_window
    FROM listings AS l
    CROSS JOIN counted AS c
    WHERE l.marketplace = $1 AND l.product_id = $2
)
SELECT * FROM final
