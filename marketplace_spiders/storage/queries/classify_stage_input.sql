-- The run's listed observations the analysis trusts (listing_states: no failed runs, no search cards where
-- the run also saw the listing's own page), each with its description version (the latest earlier one when
-- the run did not fetch it) and its seller's legal identity as known by the end of this run (the latest
-- value of each field in the seller documents of this and earlier runs), so that classifying a run again
-- later (a rebuild) gives the input it had at its ingest, not today's.
-- Two observations of a listing at the same time (one run's detail batch and its revisit) are numbered in one
-- order every time: the first one's text is the one recorded for that time. Read back a chunk at a time
-- (classify_input_chunk.sql). Bound: $run_id.
CREATE OR REPLACE TEMP TABLE classify_run_input AS
SELECT row_number() OVER (ORDER BY marketplace, product_id, observed_at, source, title, description_hash, brand,
                                   manufacturer, country_of_origin, seller_legal_name) AS rn, *
FROM (
WITH run_obs AS (
    SELECT o.run_id, o.marketplace, o.product_id, o.observed_at, o.source, o.title, o.brand, o.seller_id,
           o.country_of_origin, o.manufacturer,
           coalesce(o.description_hash, (
               SELECT p.description_hash FROM listing_observations AS p
               WHERE p.marketplace = o.marketplace AND p.product_id = o.product_id
                 AND p.description_hash IS NOT NULL AND p.observed_at <= o.observed_at
               ORDER BY p.observed_at DESC LIMIT 1)) AS description_hash
    FROM listing_states AS o
    WHERE o.run_id = $run_id AND o.listing_status = 'listed'
),
seller_as_of AS (
    SELECT so.marketplace, so.seller_id,
           arg_max(so.legal_name, so.observed_at) FILTER (WHERE so.legal_name IS NOT NULL) AS legal_name,
           arg_max(so.inn, so.observed_at) FILTER (WHERE so.inn IS NOT NULL) AS inn,
           arg_max(so.ogrn, so.observed_at) FILTER (WHERE so.ogrn IS NOT NULL) AS ogrn
    FROM seller_observations AS so
    INNER JOIN crawl_runs AS r ON r.run_id = so.run_id
    WHERE r.started_at <= (SELECT started_at FROM crawl_runs WHERE run_id = $run_id)
      AND (so.marketplace, so.seller_id) IN (SELECT marketplace, seller_id FROM run_obs)
    GROUP BY so.marketplace, so.seller_id
)
SELECT r.run_id, r.marketplace, r.product_id, r.observed_at, r.source, r.description_hash,
       r.title, d.text AS description, d.characteristics::VARCHAR AS characteristics, r.country_of_origin,
       r.manufacturer, r.brand, s.legal_name AS seller_legal_name, s.inn AS seller_inn, s.ogrn AS seller_ogrn
FROM run_obs AS r
LEFT JOIN descriptions AS d ON d.description_hash = r.description_hash
LEFT JOIN seller_as_of AS s ON s.marketplace = r.marketplace AND s.seller_id = r.seller_id
)
