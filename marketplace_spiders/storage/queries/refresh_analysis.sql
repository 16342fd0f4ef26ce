-- The three heavy analysis views materialised as tables, so analysts read them in milliseconds instead of
-- recomputing windows over every observation. Refreshed by every ingest (in a transaction of its own, after the
-- classification), by a sanctions import and a reclassification. The definitions (and column docs) are
-- the *_live views in storage/views/, which always compute the same rows from scratch.
CREATE OR REPLACE TABLE current_listings AS
SELECT * FROM current_listings_live ORDER BY marketplace, product_id;

CREATE OR REPLACE TABLE price_changes AS
SELECT * FROM price_changes_live ORDER BY marketplace, product_id, new_observed_at;

CREATE OR REPLACE TABLE availability_spells AS
SELECT * FROM availability_spells_live ORDER BY marketplace, product_id, spell_number;
