-- Upsert the listings and sellers a run ($run_id) saw. Statements are run one by one.
INSERT INTO listings (marketplace, product_id, url, first_seen, last_seen)
SELECT marketplace, product_id, arg_max(url, observed_at), min(observed_at), max(observed_at)
FROM listing_observations
WHERE run_id = $run_id AND listing_status = 'listed'
GROUP BY marketplace, product_id
ON CONFLICT (marketplace, product_id) DO UPDATE SET
    url = coalesce(EXCLUDED.url, listings.url),
    first_seen = least(listings.first_seen, EXCLUDED.first_seen),
    last_seen = greatest(listings.last_seen, EXCLUDED.last_seen);

INSERT INTO sellers (marketplace, seller_id, name, legal_name, inn, ogrn, first_seen, last_seen)
SELECT marketplace, seller_id,
       -- the seller's own documents win over the storefront name shown next to a listing at the same time
       arg_max(name, (observed_at, from_seller_document)) FILTER (WHERE name IS NOT NULL),
       arg_max(legal_name, observed_at) FILTER (WHERE legal_name IS NOT NULL),
       arg_max(inn, observed_at) FILTER (WHERE inn IS NOT NULL),
       arg_max(ogrn, observed_at) FILTER (WHERE ogrn IS NOT NULL),
       min(observed_at), max(observed_at)
FROM (
    SELECT marketplace, seller_id, name, legal_name, inn, ogrn, observed_at, 1 AS from_seller_document
    FROM seller_observations WHERE run_id = $run_id
    UNION ALL
    SELECT marketplace, seller_id, seller_name, NULL, NULL, NULL, observed_at, 0
    FROM listing_observations WHERE run_id = $run_id AND seller_id IS NOT NULL
)
GROUP BY marketplace, seller_id
ON CONFLICT (marketplace, seller_id) DO UPDATE SET
    name = coalesce(EXCLUDED.name, sellers.name),
    legal_name = coalesce(EXCLUDED.legal_name, sellers.legal_name),
    inn = coalesce(EXCLUDED.inn, sellers.inn),
    ogrn = coalesce(EXCLUDED.ogrn, sellers.ogrn),
    first_seen = least(sellers.first_seen, EXCLUDED.first_seen),
    last_seen = greatest(sellers.last_seen, EXCLUDED.last_seen);
