-- The description versions listing ($1 marketplace, $2 product id) showed in [$3, $4) (NULL = open), in the
-- order it first showed them: text, characteristics, the response they were parsed from, and the first and
-- last observation (time and run) that showed each.
WITH observed AS (
    SELECT run_id, observed_at, description_hash
    FROM listing_observations
    WHERE marketplace = $1 AND product_id = $2 AND description_hash IS NOT NULL
        AND ($3 IS NULL OR observed_at >= $3) AND ($4 IS NULL OR observed_at < $4)
),
shown AS (
    SELECT description_hash, min(observed_at) AS first_shown, max(observed_at) AS last_shown,
           arg_min(run_id, observed_at) AS first_run_id, arg_max(run_id, observed_at) AS last_run_id,
           count(*) AS observations
    FROM observed
    GROUP BY description_hash
),
final AS (
    SELECT s.description_hash, d.text, d.characteristics::VARCHAR AS characteristics, d.first_seen,
           d.response_sha256, s.first_shown, s.last_shown, s.first_run_id, s.last_run_id, s.observations
    FROM shown AS s
    LEFT JOIN descriptions AS d ON d.description_hash = s.description_hash
)
SELECT * FROM final ORDER BY first_shown, description_hash
