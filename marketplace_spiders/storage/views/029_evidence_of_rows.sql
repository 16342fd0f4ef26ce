-- evidence_of_rows: every stored row that came from a response, with the WARC record holding that response
-- (the bytes the row was read from). A row and its fetch share run_id and response_sha256; a description
-- version (content-addressed, no run) points to the first fetch that returned it. Records are read with
-- `scrapy evidence export` or marketplace_spiders.evidence.store.read_member(root, warc_file, offset, length);
-- the record's WARC-Payload-Digest is 'sha256:' || response_sha256.
-- Columns:
--   row_kind         listing_observation | seller_observation | search_hit | description
--   run_id           the run that made the row (for a description: the run of the fetch it points to)
--   marketplace
--   row_key          product_id | seller_id | '<term>/<page>/<position>' | description_hash
--   product_id       the listing (NULL for seller observations)
--   observed_at      when the response was fetched (UTC); first_seen for a description
--   response_sha256  sha256 of the bytes the row was read from
--   url, page_type, fetched_at   of the fetch
--   warc_file, warc_record_id, warc_offset, warc_length   where its record is (NULL: not archived, e.g. a run
--                    from before the archive, or crawled with EVIDENCE_ARCHIVE=False)
CREATE OR REPLACE VIEW evidence_of_rows AS
WITH pointers AS (
    SELECT run_id, response_sha256,
           arg_min(url, fetched_at) AS url, arg_min(page_type, fetched_at) AS page_type, min(fetched_at) AS fetched_at,
           arg_min(warc_file, fetched_at) AS warc_file, arg_min(warc_record_id, fetched_at) AS warc_record_id,
           arg_min(warc_offset, fetched_at) AS warc_offset, arg_min(warc_length, fetched_at) AS warc_length
    FROM fetches
    WHERE response_sha256 IS NOT NULL AND warc_record_id IS NOT NULL
    GROUP BY run_id, response_sha256
),
first_pointer AS (
    SELECT response_sha256, arg_min(run_id, fetched_at) AS run_id
    FROM pointers GROUP BY response_sha256
),
stored AS (
    SELECT 'listing_observation' AS row_kind, run_id, marketplace, product_id AS row_key, product_id, observed_at,
           response_sha256
    FROM listing_observations
    UNION ALL
    SELECT 'seller_observation', run_id, marketplace, seller_id, NULL, observed_at, response_sha256
    FROM seller_observations
    UNION ALL
    SELECT 'search_hit', run_id, marketplace, term || '/' || page || '/' || position, product_id, observed_at,
           response_sha256
    FROM search_hits
    UNION ALL
    SELECT 'description', fp.run_id, d.marketplace, d.description_hash, d.product_id, d.first_seen, d.response_sha256
    FROM descriptions d LEFT JOIN first_pointer fp USING (response_sha256)
)
SELECT s.row_kind, s.run_id, s.marketplace, s.row_key, s.product_id, s.observed_at, s.response_sha256,
       p.url, p.page_type, p.fetched_at, p.warc_file, p.warc_record_id, p.warc_offset, p.warc_length
FROM stored s
LEFT JOIN pointers p ON p.run_id = s.run_id AND p.response_sha256 = s.response_sha256;
