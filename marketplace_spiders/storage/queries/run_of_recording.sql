-- The first run that ingested this recording (bound: the recording id), if any: a replay of it is not ingested again.
-- A replay of run X's own archive at X's time has the identity 'run:X' (evidence.source.ArchiveSource.identity): it
-- is X again, whether X was live or a replay.
SELECT run_id FROM crawl_runs WHERE recording_id = $1 OR 'run:' || run_id = $1 ORDER BY started_at LIMIT 1
