-- A run's staged description versions ($files: its descriptions-*.parquet files), each stored once: the first
-- time its hash was seen, and only when no earlier run stored it.
INSERT INTO descriptions BY NAME SELECT * EXCLUDE (rn) FROM (
    SELECT description_hash, marketplace, product_id, text, characteristics::JSON AS characteristics,
           first_seen, response_sha256,
           row_number() OVER (PARTITION BY description_hash ORDER BY first_seen) AS rn
    FROM read_parquet($files, union_by_name = true))
WHERE rn = 1 AND description_hash NOT IN (SELECT description_hash FROM descriptions)
