-- The evidence archive of the demo database, for `make demo`: how many runs are archived and packaged (signed or
-- not), how many fetches and rows point to a WARC record.
WITH final AS (
    SELECT 'runs archived' AS figure, (SELECT count(*) FROM crawl_runs WHERE evidence_path IS NOT NULL)::BIGINT AS value
    UNION ALL SELECT 'runs packaged (WACZ)', (SELECT count(*) FROM crawl_runs WHERE evidence_sha256 IS NOT NULL)
    UNION ALL SELECT 'runs signed (RFC 3161)', (SELECT count(*) FROM crawl_runs WHERE evidence_tokens > 0)
    UNION ALL SELECT 'fetches', (SELECT count(*) FROM fetches)
    UNION ALL SELECT 'fetches with a WARC record', (SELECT count(*) FROM fetches WHERE warc_record_id IS NOT NULL)
    UNION ALL SELECT 'rows traced to a record', (SELECT count(*) FROM evidence_of_rows WHERE warc_record_id IS NOT NULL)
    UNION ALL SELECT 'rows without a record', (SELECT count(*) FROM evidence_of_rows WHERE warc_record_id IS NULL)
)
SELECT * FROM final
