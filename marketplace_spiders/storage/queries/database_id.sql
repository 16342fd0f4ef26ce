-- The database file's identity (a random id written once at creation: schema/042_database_identity.sql).
SELECT min(database_id) FROM database_identity
