-- The evidence archive (marketplace_spiders.evidence): every fetch points to the WARC record holding the bytes
-- its rows were read from; every run says where its archive is and whether its package is signed.
ALTER TABLE fetches ADD COLUMN warc_file VARCHAR;        -- <marketplace>/<run_id>/<file>.warc.gz, relative to the evidence root
ALTER TABLE fetches ADD COLUMN warc_record_id VARCHAR;   -- WARC-Record-ID (<urn:uuid:...>) of the response (or rendered DOM) record
ALTER TABLE fetches ADD COLUMN warc_offset BIGINT;       -- byte offset of the record's gzip member in warc_file
ALTER TABLE fetches ADD COLUMN warc_length BIGINT;       -- length of that gzip member
ALTER TABLE crawl_runs ADD COLUMN evidence_path VARCHAR;   -- the run's archive folder, relative to the evidence root
ALTER TABLE crawl_runs ADD COLUMN evidence_sha256 VARCHAR; -- sha256 of the run's WACZ package (NULL: not packaged)
ALTER TABLE crawl_runs ADD COLUMN evidence_tokens INTEGER; -- RFC 3161 timestamp tokens over the package (0: unsigned)
