-- listing_keys: a dense integer per listing, so the analysis views sort and join on one integer
-- instead of two strings. Internal: the numbers change when listings are added, so never store them;
-- (marketplace, product_id) is the stable key.
-- Columns:
--   marketplace  marketplace slug
--   product_id   marketplace product id
--   listing_key  1..N in (marketplace, product_id) order
CREATE OR REPLACE VIEW listing_keys AS
WITH known AS (
    SELECT marketplace, product_id
    FROM listings
),

final AS (
    SELECT marketplace, product_id, row_number() OVER (ORDER BY marketplace, product_id) AS listing_key
    FROM known
)

SELECT * FROM final
