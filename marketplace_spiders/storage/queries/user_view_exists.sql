-- Is there a user view of this name? (bound: the view name)
SELECT 1 FROM duckdb_views() WHERE view_name = ? AND NOT internal AND NOT temporary
