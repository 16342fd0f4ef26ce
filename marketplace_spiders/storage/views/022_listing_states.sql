-- listing_states: the observations the analysis trusts, each turned into a state. One row per
-- listing_observations row that passes these rules:
--   * runs with status 'failed' are ignored entirely (their data is suspect);
--   * 'listed' observations from 'ok' and 'degraded' runs count (they came from a response that parsed);
--   * 'not_found' observations count only in 'ok' runs (in a partial run a soft block can look like
--     "not found");
--   * search-card observations (source = 'search') are ignored in runs that also observed listings
--     from detail or product pages, so two sources never alternate in one price series.
-- Disappearances without a 'not_found' answer (absent from a successful search) are added by
-- availability_spells and current_listings through listing_run_checks.
-- Columns:
--   marketplace, product_id   the listing
--   listing_key               internal integer id (see listing_keys)
--   run_id, run_seq           the run and its number within the marketplace (crawl_run_sequence)
--   run_status                ok | degraded
--   observed_at               UTC time of the response
--   state                     available | out_of_stock (listed; in_stock false = out_of_stock,
--                             NULL counts as available) | gone (answered not found)
--   listing_status            listed | not_found, as observed
--   source                    detail | search | product_page
--   url, title, brand, seller_id, seller_name, price, price_before_discount, currency, in_stock,
--   stock_qty, stock_capped, rating, review_count, country_of_origin, manufacturer, category,
--   description_hash, response_sha256   as in listing_observations (prices in currency)
CREATE OR REPLACE VIEW listing_states AS
WITH runs AS (
    SELECT run_id, run_seq, status AS run_status
    FROM crawl_run_sequence
    WHERE status <> 'failed'
),

runs_with_page_observations AS (
    SELECT DISTINCT run_id
    FROM listing_observations
    WHERE source <> 'search'
),

observations AS (
    SELECT o.*, r.run_seq, r.run_status
    FROM listing_observations AS o
    INNER JOIN runs AS r ON r.run_id = o.run_id
    WHERE o.listing_status = 'listed' OR r.run_status = 'ok'
),

preferred AS (
    SELECT *
    FROM observations
    WHERE source <> 'search' OR run_id NOT IN (SELECT run_id FROM runs_with_page_observations)
),

final AS (
    SELECT
        p.marketplace,
        p.product_id,
        k.listing_key,
        p.run_id,
        p.run_seq,
        p.run_status,
        p.observed_at,
        CASE
            WHEN p.listing_status = 'not_found' THEN 'gone'
            WHEN p.in_stock = false THEN 'out_of_stock'
            ELSE 'available'
        END AS state,
        p.listing_status,
        p.source,
        p.url,
        p.title,
        p.brand,
        p.seller_id,
        p.seller_name,
        p.price,
        p.price_before_discount,
        p.currency,
        p.in_stock,
        p.stock_qty,
        p.stock_capped,
        p.rating,
        p.review_count,
        p.country_of_origin,
        p.manufacturer,
        p.category,
        p.description_hash,
        p.response_sha256
    FROM preferred AS p
    INNER JOIN listing_keys AS k ON k.marketplace = p.marketplace AND k.product_id = p.product_id
)

SELECT * FROM final
