-- The parser that produced a crawl's rows, on its crawl_runs row (bound: $run_id, $parser_version).
UPDATE crawl_runs SET parser_version = coalesce(parser_version, $parser_version) WHERE run_id = $run_id
