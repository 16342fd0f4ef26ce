-- One reparse attempt of a run (written or refused), with its diff as JSON (storage/derivations.py).
INSERT INTO run_derivations BY NAME SELECT
    $run_id::VARCHAR AS run_id, $marketplace::VARCHAR AS marketplace, $derivation::INTEGER AS derivation,
    $previous_parser_version::VARCHAR AS previous_parser_version, $parser_version::VARCHAR AS parser_version,
    $archive::VARCHAR AS archive, $outcome::VARCHAR AS outcome, $reason::VARCHAR AS reason,
    $now::TIMESTAMP AS reparsed_at, $summary::JSON AS summary
