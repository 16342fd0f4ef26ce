-- Rows of run $run_id in one table ({table}) in the superseded derivation and in the new one (bound: $run_id,
-- $derivation: the new one).
SELECT
    (SELECT count(*) FROM superseded.{table} WHERE run_id = $run_id AND superseded_by_derivation = $derivation),
    (SELECT count(*) FROM main.{table} WHERE run_id = $run_id)
