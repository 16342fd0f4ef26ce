-- Every claim listing ($1 marketplace, $2 product id) made in [$3, $4) (NULL = open): category, matched words and
-- field, with the first and last observation (time and run) whose text version made it and how many did.
WITH observed AS (
    SELECT o.run_id, o.observed_at, o.text_key
    FROM observation_classifications AS o
    WHERE o.marketplace = $1 AND o.product_id = $2
        AND ($3 IS NULL OR o.observed_at >= $3) AND ($4 IS NULL OR o.observed_at < $4)
),
claims AS (
    SELECT DISTINCT text_key, category, matched_text, field, illegal_for_bad
    FROM classification_claims
    WHERE marketplace = $1 AND product_id = $2
),
final AS (
    SELECT c.category, c.matched_text, c.field, bool_or(c.illegal_for_bad) AS illegal_for_bad,
           min(o.observed_at) AS first_seen, max(o.observed_at) AS last_seen,
           arg_min(o.run_id, o.observed_at) AS first_run_id, arg_max(o.run_id, o.observed_at) AS last_run_id,
           count(DISTINCT (o.run_id, o.observed_at)) AS observations
    FROM observed AS o
    INNER JOIN claims AS c ON c.text_key = o.text_key
    GROUP BY c.category, c.matched_text, c.field
)
SELECT * FROM final ORDER BY first_seen, category, matched_text, field
