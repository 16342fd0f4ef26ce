-- Runs per marketplace.
SELECT marketplace, count(*) FROM crawl_runs GROUP BY marketplace
