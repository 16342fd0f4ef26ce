-- After `scrapy evidence package`: record the run's main package (bound: sha256 of the WACZ, number of RFC 3161
-- tokens over it, the run folder relative to the evidence root, the run id). evidence_path is only filled when
-- the row has none (a crashed run recovered by the ingest); a row's existing path is never rewritten.
UPDATE crawl_runs
SET evidence_sha256 = $sha256, evidence_tokens = $tokens, evidence_path = coalesce(evidence_path, $path)
WHERE run_id = $run_id
RETURNING run_id
