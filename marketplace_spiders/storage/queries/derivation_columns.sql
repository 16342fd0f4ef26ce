-- Column names and types of one table (bound: schema name, table name), in table order: what a reparse compares and
-- moves (storage/derivations.py), so a column added to a table later is moved and compared too.
SELECT column_name, data_type FROM duckdb_columns() WHERE schema_name = ? AND table_name = ? ORDER BY column_index
