-- Classification views over observation_classifications (which text version each listed observation had)
-- and the per-text-version tables. first_seen / last_seen are the UTC observed_at of the first / last
-- observation of the listing whose text version had the row; is_current is true when the listing's latest
-- classified observation has it.
--
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
