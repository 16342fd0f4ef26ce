-- Crawl health per run: requests and the share blocked or failed. Parameters: $since, $until,
-- $marketplace (NULL = all).
WITH runs AS (
    SELECT run_id, marketplace, started_at, status, status_reasons
    FROM crawl_runs
    WHERE ($since::TIMESTAMP IS NULL OR started_at >= $since::TIMESTAMP)
        AND ($until::TIMESTAMP IS NULL OR started_at < $until::TIMESTAMP)
        AND ($marketplace::VARCHAR IS NULL OR marketplace = $marketplace::VARCHAR)
),

requests AS (
    SELECT
        run_id,
        count(*) AS requests,
        count(*) FILTER (WHERE outcome IN ('ok', 'not_found')) AS answered,
        count(*) FILTER (WHERE outcome = 'blocked') AS blocked,
        count(*) FILTER (WHERE outcome NOT IN ('ok', 'not_found', 'blocked')) AS failed
    FROM fetches
    WHERE run_id IN (SELECT run_id FROM runs)
    GROUP BY run_id
),

final AS (
    SELECT
        r.marketplace,
        r.run_id,
        r.started_at,
        r.status,
        r.status_reasons,
        coalesce(q.requests, 0) AS requests,
        coalesce(q.answered, 0) AS answered,
        coalesce(q.blocked, 0) AS blocked,
        coalesce(q.failed, 0) AS failed,
        round(q.blocked / q.requests, 4)::DOUBLE AS blocked_share,
        round(q.failed / q.requests, 4)::DOUBLE AS failed_share
    FROM runs AS r
    LEFT JOIN requests AS q ON q.run_id = r.run_id
)

SELECT * FROM final ORDER BY marketplace, started_at, run_id
