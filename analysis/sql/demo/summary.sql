-- One line per headline figure of the database, for `make demo`.
WITH runs AS (
    SELECT count(*) AS n, count(*) FILTER (WHERE status = 'ok') AS ok FROM crawl_runs
),
listed AS (
    SELECT * FROM listing_observations WHERE listing_status = 'listed'
),
ordered AS (
    SELECT marketplace, product_id, price, in_stock, observed_at,
           lag(price) OVER w AS previous_price, lag(in_stock) OVER w AS previous_in_stock
    FROM listed
    WINDOW w AS (PARTITION BY marketplace, product_id ORDER BY observed_at)
),
final AS (
    SELECT 'runs' AS figure, (SELECT n FROM runs)::BIGINT AS value
    UNION ALL SELECT 'runs with status ok', (SELECT ok FROM runs)
    UNION ALL SELECT 'listings', (SELECT count(*) FROM listings)
    UNION ALL SELECT 'sellers', (SELECT count(*) FROM sellers)
    UNION ALL SELECT 'sellers with INN', (SELECT count(*) FROM sellers WHERE inn IS NOT NULL)
    UNION ALL SELECT 'observations', (SELECT count(*) FROM listing_observations)
    UNION ALL SELECT 'price changes', (
        SELECT count(*) FROM ordered
        WHERE price IS NOT NULL AND previous_price IS NOT NULL AND price <> previous_price)
    UNION ALL SELECT 'listings gone out of stock', (
        SELECT count(DISTINCT (marketplace, product_id)) FROM ordered
        WHERE previous_in_stock AND NOT in_stock)
    UNION ALL SELECT 'listings no longer found', (
        SELECT count(DISTINCT (marketplace, product_id)) FROM listing_observations
        WHERE listing_status = 'not_found')
)
SELECT * FROM final
