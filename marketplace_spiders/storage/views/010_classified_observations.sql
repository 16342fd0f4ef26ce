-- Classification views over observation_classifications (which text version each listed observation had)
-- and the per-text-version tables. first_seen / last_seen are the UTC observed_at of the first / last
-- observation of the listing whose text version had the row; is_current is true when the listing's latest
-- classified observation has it.
--
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
