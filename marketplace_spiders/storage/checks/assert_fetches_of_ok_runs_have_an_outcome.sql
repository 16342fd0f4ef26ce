-- Every request of an 'ok' run is a fetches row with a known outcome, and an 'ok' run made requests.
SELECT r.run_id, f.url, f.outcome
FROM crawl_runs AS r
INNER JOIN fetches AS f ON f.run_id = r.run_id
WHERE r.status = 'ok' AND (f.outcome IS NULL OR f.outcome NOT IN ('ok', 'blocked', 'failed', 'not_found', 'malformed'))
UNION ALL
SELECT r.run_id, NULL, 'no fetches'
FROM crawl_runs AS r
WHERE r.status = 'ok' AND r.run_id NOT IN (SELECT run_id FROM fetches)
