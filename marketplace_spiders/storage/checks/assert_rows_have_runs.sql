-- Every row a run staged belongs to a crawl_runs row (a run's rows and its run row commit together).
SELECT 'listing_observations' AS table_name, run_id FROM listing_observations WHERE run_id NOT IN (SELECT run_id FROM crawl_runs)
UNION ALL
SELECT 'seller_observations', run_id FROM seller_observations WHERE run_id NOT IN (SELECT run_id FROM crawl_runs)
UNION ALL
SELECT 'search_hits', run_id FROM search_hits WHERE run_id NOT IN (SELECT run_id FROM crawl_runs)
UNION ALL
SELECT 'fetches', run_id FROM fetches WHERE run_id NOT IN (SELECT run_id FROM crawl_runs)
UNION ALL
SELECT 'observation_classifications', run_id FROM observation_classifications
WHERE run_id NOT IN (SELECT run_id FROM crawl_runs)
