-- The marketplaces the database holds runs of.
SELECT DISTINCT marketplace FROM crawl_runs WHERE marketplace IS NOT NULL ORDER BY marketplace
