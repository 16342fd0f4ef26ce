-- The report's headline counts over report_listings (a temp table of report_listings.sql): listings in scope,
-- matched to a watchlist product, with verdict strong, with verdict possible.
SELECT
    count(DISTINCT (marketplace, product_id)) AS listings,
    count(DISTINCT (marketplace, product_id)) FILTER (WHERE watch_product IS NOT NULL) AS watched,
    count(DISTINCT (marketplace, product_id)) FILTER (WHERE verdict = 'strong') AS strong,
    count(DISTINCT (marketplace, product_id)) FILTER (WHERE verdict = 'possible') AS possible
FROM report_listings
