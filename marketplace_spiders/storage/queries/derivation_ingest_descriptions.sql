-- ingest_descriptions.sql for a reparse: the run's staged description versions ($files) not stored yet, stamped with
-- the derivation ($derivation) and parser ($parser_version) that first produced them. Versions already stored (by
-- the crawl or an earlier derivation) stay as they are: descriptions are content-addressed.
INSERT INTO descriptions BY NAME SELECT * EXCLUDE (rn) FROM (
    SELECT description_hash, marketplace, product_id, text, characteristics::JSON AS characteristics,
           first_seen, response_sha256, $derivation::INTEGER AS derivation,
           $parser_version::VARCHAR AS parser_version,
           row_number() OVER (PARTITION BY description_hash ORDER BY first_seen) AS rn
    FROM read_parquet($files, union_by_name = true))
WHERE rn = 1 AND description_hash NOT IN (SELECT description_hash FROM descriptions)
