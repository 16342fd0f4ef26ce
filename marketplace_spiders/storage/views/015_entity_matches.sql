-- Classification views over observation_classifications (which text version each listed observation had)
-- and the per-text-version tables. first_seen / last_seen are the UTC observed_at of the first / last
-- observation of the listing whose text version had the row; is_current is true when the listing's latest
-- classified observation has it.
--
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
