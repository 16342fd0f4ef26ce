-- One line per headline figure of the database, for `make demo` (from the analysis views).
WITH final AS (
    SELECT 'runs' AS figure, (SELECT count(*) FROM crawl_runs)::BIGINT AS value
    UNION ALL SELECT 'runs with status ok', (SELECT count(*) FROM crawl_runs WHERE status = 'ok')
    UNION ALL SELECT 'listings', (SELECT count(*) FROM listings)
    UNION ALL SELECT 'listings available now', (SELECT count(*) FROM current_listings WHERE status = 'available')
    UNION ALL SELECT 'listings out of stock now', (SELECT count(*) FROM current_listings WHERE status = 'out_of_stock')
    UNION ALL SELECT 'listings gone', (SELECT count(*) FROM current_listings WHERE status = 'gone')
    UNION ALL SELECT 'listings verdict strong', (SELECT count(*) FROM current_listings WHERE verdict = 'strong')
    UNION ALL SELECT 'listings verdict possible', (SELECT count(*) FROM current_listings WHERE verdict = 'possible')
    UNION ALL SELECT 'listings making an illegal claim', (
        SELECT count(DISTINCT (marketplace, product_id)) FROM listing_claims WHERE is_current AND illegal_for_bad)
    UNION ALL SELECT 'sellers', (SELECT count(*) FROM sellers)
    UNION ALL SELECT 'sellers with INN', (SELECT count(*) FROM sellers WHERE inn IS NOT NULL)
    UNION ALL SELECT 'observations', (SELECT count(*) FROM listing_observations)
    UNION ALL SELECT 'price changes', (SELECT count(*) FROM price_changes)
    UNION ALL SELECT 'listings gone out of stock', (
        SELECT count(DISTINCT (marketplace, product_id)) FROM availability_spells WHERE state = 'out_of_stock')
)
SELECT * FROM final
