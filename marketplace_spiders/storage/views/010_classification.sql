-- Classification views over observation_classifications (which text version each listed observation had)
-- and the per-text-version tables. first_seen / last_seen are the UTC observed_at of the first / last
-- observation of the listing whose text version had the row; is_current is true when the listing's latest
-- classified observation has it.

-- classified_observations: every classified observation with its verdict, newest flagged.
-- Columns: marketplace, product_id, run_id, observed_at, text_key, description_hash, verdict, reasons,
--          product_ids, is_latest (the listing's latest classified observation)
CREATE OR REPLACE VIEW classified_observations AS
WITH joined AS (
    SELECT
        o.marketplace, o.product_id, o.run_id, o.observed_at, o.text_key,
        c.description_hash, c.verdict, c.reasons, c.product_ids,
        row_number() OVER (PARTITION BY o.marketplace, o.product_id ORDER BY o.observed_at DESC, o.run_id DESC) AS rn
    FROM observation_classifications AS o
    INNER JOIN listing_classifications AS c
        ON c.marketplace = o.marketplace AND c.product_id = o.product_id AND c.text_key = o.text_key
),

final AS (
    SELECT * EXCLUDE (rn), rn = 1 AS is_latest
    FROM joined
)

SELECT * FROM final;

-- listing_verdicts: per listing and verdict, when the listing had it.
-- Columns: marketplace, product_id, verdict, first_seen, last_seen, first_run_id, last_run_id, observations,
--          is_current (the listing's latest classified observation has this verdict)
CREATE OR REPLACE VIEW listing_verdicts AS
WITH final AS (
    SELECT
        marketplace, product_id, verdict,
        min(observed_at) AS first_seen, max(observed_at) AS last_seen,
        arg_min(run_id, observed_at) AS first_run_id, arg_max(run_id, observed_at) AS last_run_id,
        count(*) AS observations, bool_or(is_latest) AS is_current
    FROM classified_observations
    GROUP BY marketplace, product_id, verdict
)

SELECT * FROM final;

-- current_verdicts: one row per classified listing, as of its latest classified observation.
-- Columns: marketplace, product_id, verdict, reasons, product_ids, observed_at, run_id, text_key,
--          description_hash, verdict_first_seen (first observation with this verdict)
CREATE OR REPLACE VIEW current_verdicts AS
WITH latest AS (
    SELECT * FROM classified_observations WHERE is_latest
),

final AS (
    SELECT
        l.marketplace, l.product_id, l.verdict, l.reasons, l.product_ids, l.observed_at, l.run_id, l.text_key,
        l.description_hash, v.first_seen AS verdict_first_seen
    FROM latest AS l
    LEFT JOIN listing_verdicts AS v
        ON v.marketplace = l.marketplace AND v.product_id = l.product_id AND v.verdict = l.verdict
)

SELECT * FROM final;

-- listing_claims: per listing, claim category and matched text, when the listing made the claim.
-- Columns: marketplace, product_id, category, matched_text, illegal_for_bad, first_seen, last_seen,
--          first_run_id, last_run_id, observations, is_current
CREATE OR REPLACE VIEW listing_claims AS
WITH final AS (
    SELECT
        o.marketplace, o.product_id, c.category, c.matched_text, bool_or(c.illegal_for_bad) AS illegal_for_bad,
        min(o.observed_at) AS first_seen, max(o.observed_at) AS last_seen,
        arg_min(o.run_id, o.observed_at) AS first_run_id, arg_max(o.run_id, o.observed_at) AS last_run_id,
        count(DISTINCT (o.run_id, o.observed_at)) AS observations, bool_or(o.is_latest) AS is_current
    FROM classified_observations AS o
    INNER JOIN (SELECT DISTINCT marketplace, product_id, text_key, category, matched_text, illegal_for_bad
                FROM classification_claims) AS c
        ON c.marketplace = o.marketplace AND c.product_id = o.product_id AND c.text_key = o.text_key
    GROUP BY o.marketplace, o.product_id, c.category, c.matched_text
)

SELECT * FROM final;

-- listing_origin_signals: per listing and DPRK-origin signal, when the listing showed it.
-- Columns: marketplace, product_id, signal_id, kind, strength, matched_text, first_seen, last_seen,
--          observations, is_current
CREATE OR REPLACE VIEW listing_origin_signals AS
WITH final AS (
    SELECT
        o.marketplace, o.product_id, s.signal_id, any_value(s.kind) AS kind, any_value(s.strength) AS strength,
        s.matched_text, min(o.observed_at) AS first_seen, max(o.observed_at) AS last_seen,
        count(DISTINCT (o.run_id, o.observed_at)) AS observations, bool_or(o.is_latest) AS is_current
    FROM classified_observations AS o
    INNER JOIN classification_signals AS s
        ON s.marketplace = o.marketplace AND s.product_id = o.product_id AND s.text_key = o.text_key
    GROUP BY o.marketplace, o.product_id, s.signal_id, s.matched_text
)

SELECT * FROM final;

-- entity_matches: per listing, entity and field, when the listing matched the entity (best score).
-- Columns: marketplace, product_id, entity_id, entity_name, source, field, matched_text, score, method,
--          evidence, sanctioned, un_reference, ofac_ent_num, first_seen, last_seen, observations, is_current
CREATE OR REPLACE VIEW entity_matches AS
WITH final AS (
    SELECT
        o.marketplace, o.product_id, e.entity_id, any_value(e.entity_name) AS entity_name, e.source, e.field,
        -- the best match's text and method, from one row (ties on score broken by the latest observation,
        -- then the text)
        arg_max({'text': e.matched_text, 'method': e.method}, (e.score, o.observed_at, e.matched_text)).text
            AS matched_text,
        max(e.score) AS score,
        arg_max({'text': e.matched_text, 'method': e.method}, (e.score, o.observed_at, e.matched_text)).method
            AS method,
        any_value(e.evidence) AS evidence, bool_or(e.sanctioned) AS sanctioned,
        any_value(e.un_reference) AS un_reference, any_value(e.ofac_ent_num) AS ofac_ent_num,
        min(o.observed_at) AS first_seen, max(o.observed_at) AS last_seen,
        count(DISTINCT (o.run_id, o.observed_at)) AS observations, bool_or(o.is_latest) AS is_current
    FROM classified_observations AS o
    INNER JOIN classification_entity_matches AS e
        ON e.marketplace = o.marketplace AND e.product_id = o.product_id AND e.text_key = o.text_key
    GROUP BY o.marketplace, o.product_id, e.entity_id, e.source, e.field
)

SELECT * FROM final;
