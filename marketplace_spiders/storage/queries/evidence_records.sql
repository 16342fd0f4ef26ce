-- The archived records of the responses of marketplace $1 whose body had one of the sha256 digests $2
-- (VARCHAR[]): every fetch with such a body, any run, with its pointer into the evidence archive (schema 050;
-- warc_file NULL = the fetch was not archived). The export picks the fetch of the observation's own run.
WITH final AS (
    SELECT run_id, response_sha256, url, page_type, outcome, fetched_at,
           warc_file, warc_record_id, warc_offset, warc_length
    FROM fetches
    WHERE marketplace = $1 AND list_contains($2, response_sha256)
)
SELECT * FROM final ORDER BY fetched_at, run_id, url
