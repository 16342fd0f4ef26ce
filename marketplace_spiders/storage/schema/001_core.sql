-- Core history tables. All times are UTC (TIMESTAMP without zone); money is DECIMAL roubles.
-- Applied once by marketplace_spiders.storage.database.Database.migrate(), recorded in schema_migrations.

CREATE TABLE crawl_runs (
    run_id          VARCHAR PRIMARY KEY,
    marketplace     VARCHAR NOT NULL,
    started_at      TIMESTAMP NOT NULL,
    finished_at     TIMESTAMP,
    status          VARCHAR NOT NULL,      -- ok | degraded | failed
    status_reasons  VARCHAR,               -- why the run is not ok, '; '-separated
    request_count   INTEGER,
    item_count      INTEGER,
    error_count     INTEGER,
    blocked_count   INTEGER,
    replay          BOOLEAN,               -- true when served from a recording
    ingested_at     TIMESTAMP
);

CREATE TABLE listings (
    marketplace     VARCHAR NOT NULL,
    product_id      VARCHAR NOT NULL,
    url             VARCHAR,
    first_seen      TIMESTAMP,             -- first observation with listing_status = 'listed'
    last_seen       TIMESTAMP,             -- last observation with listing_status = 'listed'
    PRIMARY KEY (marketplace, product_id)
);

CREATE TABLE listing_observations (
    run_id                VARCHAR NOT NULL,
    marketplace           VARCHAR NOT NULL,
    product_id            VARCHAR NOT NULL,
    url                   VARCHAR,
    listing_status        VARCHAR NOT NULL,   -- listed | not_found
    observed_at           TIMESTAMP NOT NULL,
    title                 VARCHAR,
    brand                 VARCHAR,
    seller_id             VARCHAR,
    seller_name           VARCHAR,
    price                 DECIMAL(14, 2),
    price_before_discount DECIMAL(14, 2),
    currency              VARCHAR,
    in_stock              BOOLEAN,
    stock_qty             INTEGER,
    stock_capped          BOOLEAN,
    rating                DOUBLE,
    review_count          INTEGER,
    country_of_origin     VARCHAR,
    manufacturer          VARCHAR,
    category              VARCHAR,
    description_hash      VARCHAR,
    source                VARCHAR,
    response_sha256       VARCHAR
);

CREATE TABLE descriptions (
    description_hash  VARCHAR PRIMARY KEY,
    marketplace       VARCHAR,
    product_id        VARCHAR,            -- listing it was first seen on
    text              VARCHAR,
    characteristics   JSON,               -- {name: value}
    first_seen        TIMESTAMP,
    response_sha256   VARCHAR
);

CREATE TABLE sellers (
    marketplace   VARCHAR NOT NULL,
    seller_id     VARCHAR NOT NULL,
    name          VARCHAR,                -- latest known storefront name
    legal_name    VARCHAR,                -- latest known legal name
    inn           VARCHAR,
    ogrn          VARCHAR,
    first_seen    TIMESTAMP,
    last_seen     TIMESTAMP,
    PRIMARY KEY (marketplace, seller_id)
);

CREATE TABLE seller_observations (
    run_id          VARCHAR NOT NULL,
    marketplace     VARCHAR NOT NULL,
    seller_id       VARCHAR NOT NULL,
    observed_at     TIMESTAMP NOT NULL,
    name            VARCHAR,
    legal_name      VARCHAR,
    inn             VARCHAR,
    ogrn            VARCHAR,
    seller_type     VARCHAR,
    legal_address   VARCHAR,
    rating          DOUBLE,
    review_count    INTEGER,
    sale_count      BIGINT,
    registered_at   TIMESTAMP,
    response_sha256 VARCHAR
);

CREATE TABLE search_hits (
    run_id          VARCHAR NOT NULL,
    marketplace     VARCHAR NOT NULL,
    term            VARCHAR NOT NULL,
    page            INTEGER NOT NULL,
    position        INTEGER NOT NULL,
    product_id      VARCHAR NOT NULL,
    product_name    VARCHAR,
    observed_at     TIMESTAMP NOT NULL,
    response_sha256 VARCHAR
);

CREATE TABLE fetches (
    run_id          VARCHAR NOT NULL,
    marketplace     VARCHAR NOT NULL,
    url             VARCHAR NOT NULL,
    page_type       VARCHAR NOT NULL,     -- search | detail | content | seller | seller_profile | product_page
    outcome         VARCHAR NOT NULL,     -- ok | blocked | failed | not_found | malformed
    status          INTEGER,
    reason          VARCHAR,
    term            VARCHAR,
    product_ids     VARCHAR[],
    fetched_at      TIMESTAMP,
    response_sha256 VARCHAR,
    body_bytes      BIGINT
);
