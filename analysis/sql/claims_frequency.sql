-- How often each health-claim category appears on the report listings (listing_claims): listings that ever
-- made the claim, listings whose latest text still makes it, whether it is illegal for a БАД or cosmetic,
-- and the most frequent exact wordings. Needs the temp table report_listings.
WITH selected AS (
    SELECT DISTINCT marketplace, product_id
    FROM report_listings
),

claims AS (
    SELECT c.marketplace, c.product_id, c.category, c.matched_text, c.illegal_for_bad, c.is_current
    FROM listing_claims AS c
    SEMI JOIN selected AS s ON s.marketplace = c.marketplace AND s.product_id = c.product_id
),

wordings AS (
    SELECT category, lower(matched_text) AS wording, count(DISTINCT (marketplace, product_id)) AS listings
    FROM claims
    GROUP BY ALL
),

final AS (
    SELECT
        c.category,
        bool_or(c.illegal_for_bad) AS illegal_for_bad,
        count(DISTINCT (c.marketplace, c.product_id)) AS listings,
        count(DISTINCT (c.marketplace, c.product_id)) FILTER (WHERE c.is_current) AS listings_now,
        (SELECT string_agg(w.wording, '; ' ORDER BY w.listings DESC, w.wording)
         FROM (SELECT * FROM wordings AS w WHERE w.category = c.category ORDER BY listings DESC, wording LIMIT 3)
            AS w) AS top_wordings
    FROM claims AS c
    GROUP BY c.category
)

SELECT * FROM final ORDER BY listings DESC, category
