-- Derivations: a run's rows are what the page objects of the day read from its archived responses. `scrapy reparse`
-- (marketplace_spiders/storage/derivations.py) reads the archive again with today's page objects and writes the
-- result as derivation k+1 of the run, in one transaction: the run's rows of derivation k move to the schema
-- `superseded` (same columns + superseded_at, superseded_by_derivation) and the new rows take their place. The main
-- tables therefore always hold exactly the newest derivation of every run, and every view reads it unchanged.
--
-- derivation: 0 = the crawl itself, k = the k-th reparse. parser_version: marketplace_spiders.derivation.
-- parser_version(slug) of the code that produced the row ("<package version>+pages.<sha256 prefix of the page
-- objects and shared readers>"); NULL on rows written before this migration (and on fetches without a response).
ALTER TABLE listing_observations ADD COLUMN derivation INTEGER DEFAULT 0;
ALTER TABLE listing_observations ADD COLUMN parser_version VARCHAR;
ALTER TABLE seller_observations ADD COLUMN derivation INTEGER DEFAULT 0;
ALTER TABLE seller_observations ADD COLUMN parser_version VARCHAR;
ALTER TABLE search_hits ADD COLUMN derivation INTEGER DEFAULT 0;
ALTER TABLE search_hits ADD COLUMN parser_version VARCHAR;
ALTER TABLE fetches ADD COLUMN derivation INTEGER DEFAULT 0;
ALTER TABLE fetches ADD COLUMN parser_version VARCHAR;
-- descriptions are content-addressed (one row per text version, kept forever): the derivation and parser that first
-- produced the version; a reparse adds only versions no earlier derivation produced.
ALTER TABLE descriptions ADD COLUMN derivation INTEGER DEFAULT 0;
ALTER TABLE descriptions ADD COLUMN parser_version VARCHAR;
-- crawl_runs: the run's current derivation, when it was written and by which parser (NULL until a reparse or until
-- the crawl records it).
ALTER TABLE crawl_runs ADD COLUMN derivation INTEGER DEFAULT 0;
ALTER TABLE crawl_runs ADD COLUMN reparsed_at TIMESTAMP;
ALTER TABLE crawl_runs ADD COLUMN parser_version VARCHAR;

-- Superseded rows: the same columns as the main table when this migration ran (a column added to a main table
-- later is added here by the next reparse, storage/derivations.py: sync_superseded_columns), plus when and by which
-- derivation they were superseded. Never read by the views; query them to see what an earlier parser said.
CREATE SCHEMA superseded;
CREATE TABLE superseded.listing_observations AS
    SELECT *, NULL::TIMESTAMP AS superseded_at, NULL::INTEGER AS superseded_by_derivation
    FROM listing_observations LIMIT 0;
CREATE TABLE superseded.seller_observations AS
    SELECT *, NULL::TIMESTAMP AS superseded_at, NULL::INTEGER AS superseded_by_derivation
    FROM seller_observations LIMIT 0;
CREATE TABLE superseded.search_hits AS
    SELECT *, NULL::TIMESTAMP AS superseded_at, NULL::INTEGER AS superseded_by_derivation
    FROM search_hits LIMIT 0;
CREATE TABLE superseded.fetches AS
    SELECT *, NULL::TIMESTAMP AS superseded_at, NULL::INTEGER AS superseded_by_derivation
    FROM fetches LIMIT 0;
-- the run's crawl_runs row as it was (status, reasons, counts judged by the older derivation)
CREATE TABLE superseded.crawl_runs AS
    SELECT *, NULL::TIMESTAMP AS superseded_at, NULL::INTEGER AS superseded_by_derivation
    FROM crawl_runs LIMIT 0;

-- One row per reparse attempt: written (the derivation is in the main tables) or refused (nothing changed; why).
-- summary: the diff as JSON ({"tables": {table: {before, after, added, removed, changed}}, "changes": [{table,
-- key, field, old, new}, ...]}), the same data `scrapy reparse` prints.
CREATE TABLE run_derivations (
    run_id                   VARCHAR NOT NULL,
    marketplace              VARCHAR NOT NULL,
    derivation               INTEGER,            -- the derivation written (for a refused one: the one attempted)
    previous_parser_version  VARCHAR,
    parser_version           VARCHAR,
    archive                  VARCHAR,            -- what was read: the run's evidence folder or recording
    outcome                  VARCHAR NOT NULL,   -- written | refused
    reason                   VARCHAR,            -- why refused
    reparsed_at              TIMESTAMP NOT NULL, -- UTC
    summary                  JSON
);
