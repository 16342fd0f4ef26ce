-- Every observation of listing ($1 marketplace, $2 product id) observed in [$3, $4) (NULL = open), oldest first,
-- with what an evidence bundle states about it: the run (status, replay), the fetch whose body it was parsed from
-- (same run and response_sha256), the seller's legal identity (the seller observation of the same run, else
-- the latest earlier one; seller_run_id says which), the text version's verdict, reasons and claims, and which
-- derivation and parser version read the row from the archived response (schema 051).
WITH observations AS (
    SELECT *
    FROM listing_observations
    WHERE marketplace = $1 AND product_id = $2
        AND ($3 IS NULL OR observed_at >= $3) AND ($4 IS NULL OR observed_at < $4)
),
fetched AS (
    SELECT f.run_id, f.response_sha256,
           arg_min(f.url, f.fetched_at) AS fetch_url, arg_min(f.page_type, f.fetched_at) AS fetch_page_type,
           min(f.fetched_at) AS fetched_at
    FROM fetches AS f
    WHERE f.marketplace = $1
        AND (f.run_id, f.response_sha256) IN (SELECT (run_id, response_sha256) FROM observations)
    GROUP BY f.run_id, f.response_sha256
),
seller_candidates AS (
    SELECT o.run_id, o.observed_at, s.run_id AS seller_run_id, s.observed_at AS seller_observed_at,
           s.name AS seller_storefront_name, s.legal_name AS seller_legal_name, s.inn AS seller_inn,
           s.ogrn AS seller_ogrn, s.seller_type, s.legal_address AS seller_legal_address,
           s.response_sha256 AS seller_response_sha256,
           row_number() OVER (PARTITION BY o.run_id, o.observed_at
                              ORDER BY s.run_id = o.run_id DESC, s.observed_at DESC, s.run_id DESC) AS rn
    FROM observations AS o
    INNER JOIN seller_observations AS s
        ON s.marketplace = o.marketplace AND s.seller_id = o.seller_id
            AND (s.run_id = o.run_id OR s.observed_at <= o.observed_at)
),
text_claims AS (
    SELECT text_key,
           list({'category': category, 'matched_text': matched_text, 'field': field,
                 'illegal_for_bad': illegal_for_bad} ORDER BY category, matched_text, field) AS claims
    FROM (SELECT DISTINCT text_key, category, matched_text, field, illegal_for_bad
          FROM classification_claims WHERE marketplace = $1 AND product_id = $2)
    GROUP BY text_key
),
final AS (
    SELECT
        o.run_id, o.observed_at, r.status AS run_status, r.replay AS run_replay, o.listing_status, o.url, o.title,
        o.brand, o.seller_id, o.seller_name, o.price, o.price_before_discount, o.currency, o.in_stock, o.stock_qty,
        o.stock_capped, o.country_of_origin, o.manufacturer, o.description_hash, o.source, o.response_sha256,
        o.derivation, o.parser_version,
        f.fetch_url, f.fetch_page_type, f.fetched_at,
        s.seller_run_id, s.seller_observed_at, s.seller_storefront_name, s.seller_legal_name, s.seller_inn,
        s.seller_ogrn, s.seller_type, s.seller_legal_address, s.seller_response_sha256,
        oc.text_key, lc.verdict, lc.reasons, lc.product_ids, coalesce(tc.claims, []) AS claims
    FROM observations AS o
    LEFT JOIN crawl_runs AS r ON r.run_id = o.run_id
    LEFT JOIN fetched AS f ON f.run_id = o.run_id AND f.response_sha256 = o.response_sha256
    LEFT JOIN seller_candidates AS s ON s.run_id = o.run_id AND s.observed_at = o.observed_at AND s.rn = 1
    LEFT JOIN observation_classifications AS oc
        ON oc.run_id = o.run_id AND oc.marketplace = o.marketplace AND oc.product_id = o.product_id
            AND oc.observed_at = o.observed_at
    LEFT JOIN listing_classifications AS lc
        ON lc.marketplace = o.marketplace AND lc.product_id = o.product_id AND lc.text_key = oc.text_key
    LEFT JOIN text_claims AS tc ON tc.text_key = oc.text_key
)
SELECT * FROM final ORDER BY observed_at, run_id
