-- current_listings: one row per listing ever seen listed, with its state in the latest run of its
-- marketplace and its latest known details.
-- Columns:
--   marketplace, product_id   the listing
--   status                    state in the marketplace's latest run: available | out_of_stock | gone
--                             (answered not found, or absent from an 'ok' run that answered every check
--                             of it) | unknown (that run failed, was partial, was blocked for it or did
--                             not check it)
--   status_run_id             the marketplace's latest run, which status refers to
--   last_known_state          latest confirmed state (available | out_of_stock | gone), whenever it was
--   last_known_at             UTC time of that confirmation
--   last_known_run_id         run of that confirmation
--   url, title, brand, category, country_of_origin, manufacturer   from the latest trusted listed
--                             observation
--   seller_id, seller_name    marketplace seller id and storefront name on that observation
--   seller_legal_name, seller_inn, seller_ogrn   the seller's legal identity (sellers table), if known
--   price, price_before_discount, currency, in_stock, stock_qty, stock_capped, rating, review_count
--                             from the latest trusted listed observation; both prices in its
--                             currency (ISO 4217; RUB unless the marketplace showed another)
--   price_observed_at         UTC time of that observation
--   first_seen, last_seen     first / last observation with listing_status 'listed' (listings table)
--   verdict                   strong | possible | unrelated: the classification of the listing's latest
--                             classified text version (current_verdicts); NULL if never classified
--   verdict_products          products.toml ids matched in that text version
CREATE OR REPLACE VIEW current_listings_live AS
WITH latest_runs AS (
    SELECT run_id, marketplace, run_seq, status
    FROM crawl_run_sequence
    WHERE is_latest
),

per_listing AS MATERIALIZED (
    SELECT
        listing_key,
        arg_max(state, observed_at) AS last_known_state,
        max(observed_at) AS last_known_at,
        arg_max(run_id, observed_at) AS last_known_run_id,
        arg_max(run_seq, observed_at) AS last_known_run_seq,
        max(observed_at) FILTER (WHERE listing_status = 'listed') AS last_listed_at
    FROM listing_states
    GROUP BY listing_key
),

-- The latest listed observation's row, found by joining back on its time (cheaper than carrying
-- every column through the aggregate).
last_listed AS (
    SELECT
        s.listing_key,
        arg_max(
            {
                'url': s.url, 'title': s.title, 'brand': s.brand, 'category': s.category,
                'country_of_origin': s.country_of_origin, 'manufacturer': s.manufacturer,
                'seller_id': s.seller_id, 'seller_name': s.seller_name, 'price': s.price,
                'price_before_discount': s.price_before_discount, 'currency': s.currency,
                'in_stock': s.in_stock, 'stock_qty': s.stock_qty, 'stock_capped': s.stock_capped,
                'rating': s.rating, 'review_count': s.review_count, 'observed_at': s.observed_at
            },
            s.run_seq
        ) AS listed
    FROM listing_states AS s
    INNER JOIN per_listing AS p ON p.listing_key = s.listing_key AND p.last_listed_at = s.observed_at
    WHERE s.listing_status = 'listed'
    GROUP BY s.listing_key
),

with_latest_run AS (
    SELECT
        k.listing_key,
        k.marketplace,
        k.product_id,
        p.last_known_state,
        p.last_known_at,
        p.last_known_run_id,
        p.last_known_run_seq,
        ll.listed,
        r.run_id AS status_run_id,
        r.run_seq AS status_run_seq,
        r.status AS status_run_status
    FROM listing_keys AS k
    LEFT JOIN per_listing AS p ON p.listing_key = k.listing_key
    LEFT JOIN last_listed AS ll ON ll.listing_key = k.listing_key
    LEFT JOIN latest_runs AS r ON r.marketplace = k.marketplace
),

-- Listings the latest run did not observe: gone if that run was 'ok' and answered every check of them.
absence_candidates AS MATERIALIZED (
    SELECT listing_key, marketplace, product_id, status_run_id
    FROM with_latest_run
    WHERE status_run_status = 'ok' AND last_known_run_seq IS DISTINCT FROM status_run_seq
        AND last_known_at IS NOT NULL
),

latest_run_checks AS (
    SELECT run_id, marketplace, product_id, answered
    FROM listing_run_checks
    WHERE run_id IN (SELECT status_run_id FROM absence_candidates)
        AND product_id IN (SELECT product_id FROM absence_candidates)
),

absent_in_latest_run AS (
    SELECT a.listing_key
    FROM absence_candidates AS a
    INNER JOIN latest_run_checks AS c
        ON c.run_id = a.status_run_id AND c.marketplace = a.marketplace AND c.product_id = a.product_id
    GROUP BY a.listing_key
    HAVING bool_and(c.answered)
),

final AS (
    SELECT
        w.marketplace,
        w.product_id,
        CASE
            WHEN w.last_known_run_seq = w.status_run_seq THEN w.last_known_state
            WHEN a.listing_key IS NOT NULL THEN 'gone'
            ELSE 'unknown'
        END AS status,
        w.status_run_id,
        w.last_known_state,
        w.last_known_at,
        w.last_known_run_id,
        w.listed.url,
        w.listed.title,
        w.listed.brand,
        w.listed.category,
        w.listed.country_of_origin,
        w.listed.manufacturer,
        w.listed.seller_id,
        w.listed.seller_name,
        s.legal_name AS seller_legal_name,
        s.inn AS seller_inn,
        s.ogrn AS seller_ogrn,
        w.listed.price,
        w.listed.price_before_discount,
        w.listed.currency,
        w.listed.in_stock,
        w.listed.stock_qty,
        w.listed.stock_capped,
        w.listed.rating,
        w.listed.review_count,
        w.listed.observed_at AS price_observed_at,
        l.first_seen,
        l.last_seen,
        v.verdict,
        v.product_ids AS verdict_products
    FROM with_latest_run AS w
    LEFT JOIN absent_in_latest_run AS a ON a.listing_key = w.listing_key
    LEFT JOIN listings AS l ON l.marketplace = w.marketplace AND l.product_id = w.product_id
    LEFT JOIN sellers AS s ON s.marketplace = w.marketplace AND s.seller_id = w.listed.seller_id
    LEFT JOIN current_verdicts AS v ON v.marketplace = w.marketplace AND v.product_id = w.product_id
)

SELECT * FROM final
