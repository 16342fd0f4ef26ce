-- The table ($tables_only) or table or view named $name, if it exists.
SELECT table_name FROM duckdb_tables() WHERE table_name = $name AND NOT internal
UNION ALL
SELECT view_name FROM duckdb_views() WHERE view_name = $name AND NOT internal AND NOT $tables_only
