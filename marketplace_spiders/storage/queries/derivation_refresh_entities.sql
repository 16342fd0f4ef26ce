-- After a reparse of run $run_id (superseded rows: superseded_by_derivation = $derivation), listings and sellers are
-- recomputed from all their observations for every key the run touched in either derivation, instead of
-- refresh_entities.sql's upsert (which can only widen first/last seen): a product id or seller only the old parser
-- read is removed, and first_seen/last_seen/url/names are what the newest derivations say. Statements run in order.
CREATE OR REPLACE TEMP TABLE derivation_touched_listings AS
SELECT DISTINCT marketplace, product_id FROM main.listing_observations WHERE run_id = $run_id
UNION
SELECT DISTINCT marketplace, product_id FROM superseded.listing_observations
WHERE run_id = $run_id AND superseded_by_derivation = $derivation;

DELETE FROM listings AS l
WHERE (l.marketplace, l.product_id) IN (SELECT marketplace, product_id FROM derivation_touched_listings)
  AND NOT EXISTS (SELECT 1 FROM listing_observations AS o WHERE o.marketplace = l.marketplace
                  AND o.product_id = l.product_id AND o.listing_status = 'listed');

INSERT INTO listings (marketplace, product_id, url, first_seen, last_seen)
SELECT marketplace, product_id, arg_max(url, observed_at) FILTER (WHERE url IS NOT NULL), min(observed_at),
       max(observed_at)
FROM listing_observations
WHERE listing_status = 'listed'
  AND (marketplace, product_id) IN (SELECT marketplace, product_id FROM derivation_touched_listings)
GROUP BY marketplace, product_id
ON CONFLICT (marketplace, product_id) DO UPDATE SET
    url = EXCLUDED.url, first_seen = EXCLUDED.first_seen, last_seen = EXCLUDED.last_seen;

CREATE OR REPLACE TEMP TABLE derivation_touched_sellers AS
SELECT DISTINCT marketplace, seller_id FROM main.seller_observations WHERE run_id = $run_id
UNION
SELECT DISTINCT marketplace, seller_id FROM superseded.seller_observations
WHERE run_id = $run_id AND superseded_by_derivation = $derivation
UNION
SELECT DISTINCT marketplace, seller_id FROM main.listing_observations WHERE run_id = $run_id AND seller_id IS NOT NULL
UNION
SELECT DISTINCT marketplace, seller_id FROM superseded.listing_observations
WHERE run_id = $run_id AND superseded_by_derivation = $derivation AND seller_id IS NOT NULL;

CREATE OR REPLACE TEMP TABLE derivation_seller_sightings AS
SELECT marketplace, seller_id, name, legal_name, inn, ogrn, observed_at, 1 AS from_seller_document
FROM seller_observations
WHERE (marketplace, seller_id) IN (SELECT marketplace, seller_id FROM derivation_touched_sellers)
UNION ALL
SELECT marketplace, seller_id, seller_name, NULL, NULL, NULL, observed_at, 0
FROM listing_observations
WHERE seller_id IS NOT NULL
  AND (marketplace, seller_id) IN (SELECT marketplace, seller_id FROM derivation_touched_sellers);

DELETE FROM sellers AS s
WHERE (s.marketplace, s.seller_id) IN (SELECT marketplace, seller_id FROM derivation_touched_sellers)
  AND (s.marketplace, s.seller_id) NOT IN (SELECT marketplace, seller_id FROM derivation_seller_sightings);

INSERT INTO sellers (marketplace, seller_id, name, legal_name, inn, ogrn, first_seen, last_seen)
SELECT marketplace, seller_id,
       -- the seller's own documents win over the storefront name shown next to a listing at the same time
       arg_max(name, (observed_at, from_seller_document)) FILTER (WHERE name IS NOT NULL),
       arg_max(legal_name, observed_at) FILTER (WHERE legal_name IS NOT NULL),
       arg_max(inn, observed_at) FILTER (WHERE inn IS NOT NULL),
       arg_max(ogrn, observed_at) FILTER (WHERE ogrn IS NOT NULL),
       min(observed_at), max(observed_at)
FROM derivation_seller_sightings
GROUP BY marketplace, seller_id
ON CONFLICT (marketplace, seller_id) DO UPDATE SET
    name = EXCLUDED.name, legal_name = EXCLUDED.legal_name, inn = EXCLUDED.inn, ogrn = EXCLUDED.ogrn,
    first_seen = EXCLUDED.first_seen, last_seen = EXCLUDED.last_seen;

DROP TABLE derivation_touched_listings;
DROP TABLE derivation_touched_sellers;
DROP TABLE derivation_seller_sightings
