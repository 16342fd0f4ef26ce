-- Every listing of the demo database with its current verdict, matched products, status and the claim
-- categories its latest text makes (illegal ones marked with !), for `make demo`.
WITH claims_now AS (
    SELECT
        marketplace, product_id,
        string_agg(DISTINCT category || CASE WHEN illegal_for_bad THEN '!' ELSE '' END, ', '
                   ORDER BY category || CASE WHEN illegal_for_bad THEN '!' ELSE '' END) AS claims
    FROM listing_claims
    WHERE is_current
    GROUP BY ALL
),

final AS (
    SELECT
        c.marketplace,
        c.product_id,
        coalesce(c.verdict, 'unclassified') AS verdict,
        array_to_string(c.verdict_products, ', ') AS products,
        c.status,
        left(c.title, 48) AS title,
        coalesce(n.claims, '') AS claims
    FROM current_listings AS c
    LEFT JOIN claims_now AS n ON n.marketplace = c.marketplace AND n.product_id = c.product_id
)

SELECT * FROM final
ORDER BY CASE verdict WHEN 'strong' THEN 0 WHEN 'possible' THEN 1 WHEN 'unrelated' THEN 2 ELSE 3 END,
    marketplace, product_id
