-- Classification views over observation_classifications (which text version each listed observation had)
-- and the per-text-version tables. first_seen / last_seen are the UTC observed_at of the first / last
-- observation of the listing whose text version had the row; is_current is true when the listing's latest
-- classified observation has it.
--
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
