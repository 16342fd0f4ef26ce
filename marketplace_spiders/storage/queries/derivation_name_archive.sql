-- Name what a reparse replayed (bound: $archive, $run_id, $derivation) when its run.json did not (the command knows).
UPDATE run_derivations SET archive = $archive
WHERE run_id = $run_id AND derivation = $derivation AND archive IS NULL
