-- How often each health-claim category appears on the report listings (listing_claims, written by the
-- classification work; the report runs this only when that table or view exists with the columns
-- marketplace, product_id and category). Needs the temp table report_listings.
WITH selected AS (
    SELECT DISTINCT marketplace, product_id
    FROM report_listings
),

claims AS (
    SELECT c.marketplace, c.product_id, c.category
    FROM listing_claims AS c
    SEMI JOIN selected AS s ON s.marketplace = c.marketplace AND s.product_id = c.product_id
),

final AS (
    SELECT category, count(DISTINCT marketplace || ':' || product_id) AS listings, count(*) AS mentions
    FROM claims
    GROUP BY category
)

SELECT * FROM final ORDER BY listings DESC, category
