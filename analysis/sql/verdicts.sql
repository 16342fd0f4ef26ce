-- The report listings per marketplace and current verdict (strong | possible | unrelated | unclassified),
-- with how many are available now. Needs the temp table report_listings.
WITH selected AS (
    SELECT DISTINCT marketplace, product_id, coalesce(verdict, 'unclassified') AS verdict
    FROM report_listings
),

final AS (
    SELECT
        s.marketplace,
        s.verdict,
        count(*) AS listings,
        count(*) FILTER (WHERE c.status = 'available') AS available_now,
        count(*) FILTER (WHERE c.status = 'gone') AS gone
    FROM selected AS s
    INNER JOIN current_listings AS c ON c.marketplace = s.marketplace AND c.product_id = s.product_id
    GROUP BY ALL
)

SELECT * FROM final
ORDER BY marketplace, CASE verdict WHEN 'strong' THEN 0 WHEN 'possible' THEN 1 WHEN 'unrelated' THEN 2 ELSE 3 END
