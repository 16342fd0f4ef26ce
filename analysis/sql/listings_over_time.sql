-- Listings per marketplace in each run of the period: how many report listings each run confirmed
-- available, out of stock or gone. Runs that failed have NULL counts (nothing they saw is trusted).
-- Parameters: $since, $until (TIMESTAMP or NULL), $marketplace (NULL = all). Needs the temp table
-- report_listings (report_listings.sql).
WITH runs AS (
    SELECT run_id, marketplace, started_at, status
    FROM crawl_run_sequence
    WHERE ($since::TIMESTAMP IS NULL OR started_at >= $since::TIMESTAMP)
        AND ($until::TIMESTAMP IS NULL OR started_at < $until::TIMESTAMP)
        AND ($marketplace::VARCHAR IS NULL OR marketplace = $marketplace::VARCHAR)
),

selected AS (
    SELECT DISTINCT marketplace, product_id
    FROM report_listings
),

states AS (
    SELECT s.run_id, s.listing_key, s.state
    FROM listing_states AS s
    SEMI JOIN selected AS l ON l.marketplace = s.marketplace AND l.product_id = s.product_id
    WHERE s.run_id IN (SELECT run_id FROM runs)
),

counts AS (
    SELECT
        run_id,
        count(DISTINCT listing_key) FILTER (WHERE state = 'available') AS available,
        count(DISTINCT listing_key) FILTER (WHERE state = 'out_of_stock') AS out_of_stock,
        count(DISTINCT listing_key) FILTER (WHERE state = 'gone') AS gone_not_found
    FROM states
    GROUP BY run_id
),

final AS (
    SELECT
        r.marketplace,
        r.run_id,
        r.started_at,
        r.status AS run_status,
        CASE WHEN r.status <> 'failed' THEN coalesce(c.available, 0) END AS available,
        CASE WHEN r.status <> 'failed' THEN coalesce(c.out_of_stock, 0) END AS out_of_stock,
        CASE WHEN r.status <> 'failed' THEN coalesce(c.available, 0) + coalesce(c.out_of_stock, 0) END
            AS listed,
        CASE WHEN r.status <> 'failed' THEN coalesce(c.gone_not_found, 0) END AS gone_not_found
    FROM runs AS r
    LEFT JOIN counts AS c ON c.run_id = r.run_id
)

SELECT * FROM final ORDER BY marketplace, started_at, run_id
