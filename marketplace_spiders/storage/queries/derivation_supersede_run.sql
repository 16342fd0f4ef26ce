-- Keep run $run_id's crawl_runs row as the superseded derivation judged it (status, reasons, counts), stamped with when
-- and by which derivation ($derivation) it was superseded.
INSERT INTO superseded.crawl_runs BY NAME
SELECT *, $now::TIMESTAMP AS superseded_at, $derivation::INTEGER AS superseded_by_derivation
FROM main.crawl_runs WHERE run_id = $run_id
