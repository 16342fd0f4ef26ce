-- A random id per database file, made when the file gets its schema. The crawl history snapshots beside the
-- database (<db>.history/, storage/history_snapshot.py) carry it, so snapshots left by a database that was
-- deleted and created again are recognised as another database's and rewritten, never used.
CREATE TABLE database_identity (database_id VARCHAR NOT NULL);
INSERT INTO database_identity SELECT uuid()::VARCHAR;
