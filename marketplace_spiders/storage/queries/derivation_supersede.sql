-- Move the rows of run $run_id out of one main table ({table}: a fixed name from storage/derivations.py) into
-- superseded.{table}, stamped with when and by which derivation ($derivation) they were superseded. Statements run in
-- order, inside the reparse's one transaction, when superseded.{table} has every column of {table}
-- (derivations.sync_superseded_columns).
INSERT INTO superseded.{table} BY NAME
SELECT *, $now::TIMESTAMP AS superseded_at, $derivation::INTEGER AS superseded_by_derivation
FROM main.{table} WHERE run_id = $run_id;
DELETE FROM main.{table} WHERE run_id = $run_id
