-- The latest reparse attempt of run $run_id recorded at or after $since (UTC), if any.
SELECT * FROM run_derivations WHERE run_id = $run_id AND reparsed_at >= $since::TIMESTAMP
ORDER BY reparsed_at DESC LIMIT 1
