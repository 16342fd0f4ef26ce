-- Classification views over observation_classifications (which text version each listed observation had)
-- and the per-text-version tables. first_seen / last_seen are the UTC observed_at of the first / last
-- observation of the listing whose text version had the row; is_current is true when the listing's latest
-- classified observation has it.
--
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
