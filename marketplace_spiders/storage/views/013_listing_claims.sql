-- Classification views over observation_classifications (which text version each listed observation had)
-- and the per-text-version tables. first_seen / last_seen are the UTC observed_at of the first / last
-- observation of the listing whose text version had the row; is_current is true when the listing's latest
-- classified observation has it.
--
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
