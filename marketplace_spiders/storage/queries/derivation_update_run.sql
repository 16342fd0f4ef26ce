-- The crawl_runs row of run $run_id after its reparse: the new derivation's number, time and parser, its status as the
-- new derivation judged it ($status, $status_reasons, see derivations.run_status for fetches without a response),
-- and counts of the rows it now has. Archive pointers (evidence_*), times and identity stay: they describe the crawl.
UPDATE crawl_runs SET
    derivation = $derivation,
    reparsed_at = $now::TIMESTAMP,
    parser_version = $parser_version,
    status = $status,
    status_reasons = $status_reasons,
    item_count = $item_count,
    request_count = (SELECT count(*) FROM main.fetches WHERE run_id = $run_id),
    error_count = (SELECT count(*) FILTER (WHERE outcome NOT IN ('ok', 'not_found', 'blocked'))
                   FROM main.fetches WHERE run_id = $run_id),
    blocked_count = (SELECT count(*) FILTER (WHERE outcome = 'blocked') FROM main.fetches WHERE run_id = $run_id)
WHERE run_id = $run_id
