-- The rows of one table ({table}) that differ between the superseded derivation $derivation - 1 (in superseded.*,
-- superseded_by_derivation = $derivation) and the new derivation $derivation (main) of run $run_id. Rows are matched
-- on {key} plus their ordinal among rows of the same key ({order}: every compared column, so equal rows pair up),
-- each side is the JSON of its compared columns ({compared}), NULL when the row is not on that side. Placeholders are
-- filled by storage/derivations.py from the tables' own column lists.
WITH old AS (
    SELECT {key}, row_number() OVER (PARTITION BY {key} ORDER BY {order}) AS ordinal,
           to_json(struct_pack({compared}))::VARCHAR AS row_json
    FROM superseded.{table} WHERE run_id = $run_id AND superseded_by_derivation = $derivation
),
new AS (
    SELECT {key}, row_number() OVER (PARTITION BY {key} ORDER BY {order}) AS ordinal,
           to_json(struct_pack({compared}))::VARCHAR AS row_json
    FROM main.{table} WHERE run_id = $run_id
),
final AS (
    SELECT o.row_json AS old_row, n.row_json AS new_row
    FROM old AS o
    FULL OUTER JOIN new AS n ON {join} AND o.ordinal = n.ordinal
    WHERE o.row_json IS DISTINCT FROM n.row_json
)
SELECT * FROM final ORDER BY coalesce(old_row, new_row)
