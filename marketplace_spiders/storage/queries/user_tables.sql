-- Names of the user tables.
SELECT table_name FROM duckdb_tables() WHERE NOT internal AND NOT temporary
