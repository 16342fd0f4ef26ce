-- Every manufacturer and brand seen on a listing, per marketplace (subject, marketplace, value), matched against
-- the sanctions lists: manufacturers first, then brands, each by marketplace and value.
SELECT subject, marketplace, value FROM (
    SELECT DISTINCT 1 AS subject_order, 'manufacturer' AS subject, marketplace, manufacturer AS value
    FROM listing_observations WHERE manufacturer IS NOT NULL
    UNION ALL
    SELECT DISTINCT 2 AS subject_order, 'brand' AS subject, marketplace, brand AS value
    FROM listing_observations WHERE brand IS NOT NULL
)
ORDER BY subject_order, marketplace, value
