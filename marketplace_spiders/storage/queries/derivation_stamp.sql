-- Stamp the rows a reparse just inserted into one main table ({table}) with their derivation and the parser that
-- produced them (a row the crawl stamped itself keeps its own parser_version). Bound: $run_id, $derivation,
-- $parser_version.
UPDATE main.{table} SET derivation = $derivation, parser_version = coalesce(parser_version, $parser_version)
WHERE run_id = $run_id
