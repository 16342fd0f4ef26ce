-- Classification history (marketplace_spiders.classify.history) and imported sanctions lists
-- (marketplace_spiders.classify.sanctions). A listing is classified once per text version: text_key is the
-- sha256 of the classifier's input (title, description, characteristics, country, manufacturer, brand,
-- seller legal name, INN, OGRN). Times are UTC.

-- One row per (listing, text version) classified.
CREATE TABLE listing_classifications (
    marketplace         VARCHAR NOT NULL,
    product_id          VARCHAR NOT NULL,
    text_key            VARCHAR NOT NULL,   -- sha256 of the classifier input
    description_hash    VARCHAR,            -- descriptions.description_hash used (carried forward if not refetched)
    classifier_version  VARCHAR,            -- sha256 prefix of the rule data files
    run_id              VARCHAR,            -- run whose observation was classified first
    classified_at       TIMESTAMP,          -- observed_at of that observation
    verdict             VARCHAR NOT NULL,   -- strong | possible | unrelated | error
    reasons             VARCHAR[],
    product_ids         VARCHAR[],          -- products.toml ids of named products matched (not generic words)
    details             JSON,               -- {"products": [...], "counter_signals": [...]} of the classification
                                            -- (claims, origin signals, entity matches: their own tables)
    PRIMARY KEY (marketplace, product_id, text_key)
);

-- Runs whose classification is complete (classification runs after the run's data is committed, in
-- transactions of its own; a run without a row here is classified by the next ingest).
CREATE TABLE classified_runs (
    run_id              VARCHAR PRIMARY KEY,
    classified_at       TIMESTAMP,          -- UTC wall-clock time the classification finished
    classifier_version  VARCHAR,
    text_versions       INTEGER             -- text versions classified for the first time in this run
);

-- Which text version each listed observation had (one row per observation classified).
CREATE TABLE observation_classifications (
    run_id        VARCHAR NOT NULL,
    marketplace   VARCHAR NOT NULL,
    product_id    VARCHAR NOT NULL,
    observed_at   TIMESTAMP NOT NULL,
    text_key      VARCHAR NOT NULL
);

CREATE TABLE classification_claims (
    marketplace      VARCHAR NOT NULL,
    product_id       VARCHAR NOT NULL,
    text_key         VARCHAR NOT NULL,
    category         VARCHAR NOT NULL,    -- claims.toml category
    matched_text     VARCHAR NOT NULL,    -- exact text from the listing
    field            VARCHAR,             -- title | description | characteristics
    illegal_for_bad  BOOLEAN              -- a red flag for a БАД or cosmetic
);

CREATE TABLE classification_signals (
    marketplace    VARCHAR NOT NULL,
    product_id     VARCHAR NOT NULL,
    text_key       VARCHAR NOT NULL,
    signal_id      VARCHAR NOT NULL,      -- origin_signals.toml id
    kind           VARCHAR,
    strength       VARCHAR,               -- strong | medium | weak
    matched_text   VARCHAR,
    field          VARCHAR
);

CREATE TABLE classification_entity_matches (
    marketplace    VARCHAR NOT NULL,
    product_id     VARCHAR NOT NULL,
    text_key       VARCHAR NOT NULL,
    entity_id      VARCHAR NOT NULL,      -- entities.toml id, or <list_source>:<source_id>
    entity_name    VARCHAR,
    source         VARCHAR,               -- entities.toml | ofac_sdn | un_sc | opensanctions
    field          VARCHAR,               -- seller_legal_name | manufacturer | brand | seller_inn | ... | description
    matched_text   VARCHAR,
    matched_name   VARCHAR,               -- the entity name or alias it matched (cleaned)
    score          DOUBLE,                -- rapidfuzz token_sort_ratio 0..100 (100 for exact, INN, OGRN)
    method         VARCHAR,               -- exact | fuzzy | alias_in_text | inn | ogrn
    evidence       VARCHAR,               -- strong | possible | none
    sanctioned     BOOLEAN,
    un_reference   VARCHAR,
    ofac_ent_num   VARCHAR
);

-- Imported sanctions lists (a file replaces every earlier entry of its list).
CREATE TABLE sanctions_entities (
    list_source    VARCHAR NOT NULL,      -- ofac_sdn | un_sc | opensanctions
    source_id      VARCHAR NOT NULL,      -- OFAC ent_num, UN DATAID, OpenSanctions id
    entity_type    VARCHAR,
    name           VARCHAR NOT NULL,
    programs       VARCHAR,               -- OFAC program(s), UN_LIST_TYPE, OpenSanctions program ids/topics
    un_reference   VARCHAR,               -- e.g. KPe.038
    ofac_ent_num   VARCHAR,
    listed_on      VARCHAR,
    countries      VARCHAR,
    identifiers    VARCHAR,
    remarks        VARCHAR,
    dprk_related   BOOLEAN,
    source_file    VARCHAR,
    file_sha256    VARCHAR,
    imported_at    TIMESTAMP,
    PRIMARY KEY (list_source, source_id)
);

CREATE TABLE sanctions_aliases (
    list_source  VARCHAR NOT NULL,
    source_id    VARCHAR NOT NULL,
    alias        VARCHAR NOT NULL,
    alias_type   VARCHAR                 -- aka | fka | good | low | original_script | alias | weakAlias ...
);

CREATE TABLE sanctions_imports (
    list_source   VARCHAR NOT NULL,
    format        VARCHAR NOT NULL,
    source_file   VARCHAR,
    file_sha256   VARCHAR,
    entity_count  INTEGER,
    alias_count   INTEGER,
    imported_at   TIMESTAMP
);

-- Known sellers, manufacturers and brands that match an imported list (rebuilt on every import).
CREATE TABLE sanctions_matches (
    subject_type   VARCHAR NOT NULL,      -- seller | manufacturer | brand
    marketplace    VARCHAR,
    seller_id      VARCHAR,
    subject_value  VARCHAR NOT NULL,
    list_source    VARCHAR NOT NULL,
    source_id      VARCHAR NOT NULL,
    entity_name    VARCHAR,
    matched_name   VARCHAR,
    score          DOUBLE,
    method         VARCHAR,
    matched_at     TIMESTAMP
);
