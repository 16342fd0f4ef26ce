-- Listings already known for one marketplace ($marketplace), with their latest listed state and when their
-- content document was last fetched; the spider revisits all of them every run. With $before_run (a reparse) the
-- history as the database held it before that run started: only earlier runs count, so a reparse never copies
-- content the run could not have known (from later runs) into its rows.
WITH earlier AS (
    SELECT run_id FROM crawl_runs
    WHERE marketplace = $marketplace
      AND ($before_run IS NULL
           OR (started_at, run_id) < (SELECT (started_at, run_id) FROM crawl_runs WHERE run_id = $before_run))
),
listed AS (
    SELECT product_id, url, description_hash, country_of_origin, manufacturer, category, seller_id, observed_at
    FROM listing_observations
    WHERE marketplace = $marketplace AND listing_status = 'listed' AND run_id IN (SELECT run_id FROM earlier)
),
latest_listed AS (
    SELECT *, row_number() OVER (PARTITION BY product_id ORDER BY observed_at DESC) AS rn FROM listed
),
known AS (
    SELECT product_id, arg_max(url, observed_at) FILTER (WHERE url IS NOT NULL) AS url FROM listed GROUP BY product_id
),
content_fetches AS (
    SELECT product_id, max(fetched_at) AS content_fetched_at
    FROM (
        SELECT unnest(product_ids) AS product_id, fetched_at
        FROM fetches
        WHERE marketplace = $marketplace AND page_type = 'content' AND outcome = 'ok'
          AND run_id IN (SELECT run_id FROM earlier)
    )
    GROUP BY product_id
),
final AS (
    SELECT k.product_id, coalesce(o.url, k.url) AS url, o.description_hash, o.country_of_origin,
           o.manufacturer, o.category, o.seller_id, c.content_fetched_at
    FROM known AS k
    LEFT JOIN latest_listed AS o ON o.product_id = k.product_id AND o.rn = 1
    LEFT JOIN content_fetches AS c ON c.product_id = k.product_id
)
SELECT * FROM final ORDER BY product_id
