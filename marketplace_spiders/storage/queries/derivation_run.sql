-- What a reparse needs of one run (bound: $run_id): its marketplace, time, current derivation and parser, status,
-- identity and archive folder (NULL columns when the database predates them are selected by name in Python).
SELECT * FROM crawl_runs WHERE run_id = $run_id
