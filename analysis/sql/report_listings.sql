-- The listings a report covers: every listing of the chosen marketplace ($marketplace, NULL = all),
-- with the watchlist product it belongs to and its current verdict. A classified listing belongs to the
-- watchlist products the classifier named in its latest text version (current_listings.verdict_products;
-- so a ginseng tea a search for "Кымдан-2" returned is not Kumdang-2). A listing never classified, or
-- classified DPRK-linked without naming a product (a «Пуган» balm: the catch-all "Other DPRK health
-- products"), belongs to a watchlist product when it was found by one of the product's search terms or its
-- title contains one of them ($watch_products, $watch_ids and $watch_terms are lists of equal length: product
-- name, product id, term). When $product_patterns is not NULL, only listings matched to a watchlist
-- product named in it, or whose title contains one of its (lower-case) patterns, are kept. One row per
-- (listing, watchlist product); watch_product is NULL for listings that match no watchlist product.
WITH watch_terms AS (
    SELECT
        unnest($watch_products::VARCHAR[]) AS watch_product,
        unnest($watch_ids::VARCHAR[]) AS watch_id,
        lower(unnest($watch_terms::VARCHAR[])) AS term
),

listings_in_scope AS (
    SELECT c.marketplace, c.product_id, lower(coalesce(c.title, '')) AS title, c.verdict, c.verdict_products
    FROM current_listings AS c
    WHERE $marketplace::VARCHAR IS NULL OR c.marketplace = $marketplace::VARCHAR
),

found_by_classifier AS (
    SELECT DISTINCT l.marketplace, l.product_id, w.watch_product
    FROM listings_in_scope AS l
    INNER JOIN (SELECT DISTINCT watch_product, watch_id FROM watch_terms) AS w
        ON list_contains(l.verdict_products, w.watch_id)
    WHERE l.verdict IS NOT NULL
),

unclassified AS (
    SELECT * FROM listings_in_scope
    WHERE verdict IS NULL OR (verdict <> 'unrelated' AND len(coalesce(verdict_products, [])) = 0)
),

found_by_term AS (
    SELECT DISTINCT h.marketplace, h.product_id, w.watch_product
    FROM search_hits AS h
    SEMI JOIN unclassified AS u ON u.marketplace = h.marketplace AND u.product_id = h.product_id
    INNER JOIN watch_terms AS w ON lower(h.term) = w.term
),

found_by_title AS (
    SELECT u.marketplace, u.product_id, w.watch_product
    FROM unclassified AS u
    INNER JOIN watch_terms AS w ON contains(u.title, w.term)
),

matched AS (
    SELECT * FROM found_by_classifier
    UNION
    SELECT * FROM found_by_term
    UNION
    SELECT * FROM found_by_title
),

with_products AS (
    SELECT l.marketplace, l.product_id, l.title, l.verdict, m.watch_product
    FROM listings_in_scope AS l
    LEFT JOIN matched AS m ON m.marketplace = l.marketplace AND m.product_id = l.product_id
),

final AS (
    SELECT marketplace, product_id, watch_product, verdict
    FROM with_products
    WHERE $product_patterns::VARCHAR[] IS NULL
        OR list_contains($product_patterns::VARCHAR[], lower(watch_product))
        OR len(list_filter($product_patterns::VARCHAR[], lambda p: contains(title, p))) > 0
)

SELECT * FROM final
