-- run_coverage: what each run checked and how it went. One row per (run, search term) and per
-- (run, revisited listing).
-- Columns:
--   run_id, marketplace      the run
--   run_started_at           UTC start of the run
--   run_status               ok | degraded | failed
--   target_type              term | listing
--   target                   the search term, or the product_id of a revisited listing
--   outcome                  ok (every request answered; a retried page counts once answered) |
--                            not_found (a revisit answered that the listing is gone) |
--                            blocked (some request blocked and never answered) | failed (failed or
--                            malformed, never answered)
--   requests                 requests made (including retries)
--   requests_ok, requests_blocked, requests_failed   of which answered / blocked / failed or malformed
--   results                  term: distinct products found (search_hits); listing: observations made
--   listing_status           listing: 'listed' or 'not_found' when observed in the run, else NULL
CREATE OR REPLACE VIEW run_coverage AS
WITH runs AS (
    SELECT run_id, marketplace, started_at AS run_started_at, status AS run_status
    FROM crawl_runs
),

search_pages AS (
    SELECT
        run_id,
        term,
        url,
        count(*) AS requests,
        count(*) FILTER (WHERE outcome IN ('ok', 'not_found')) AS requests_ok,
        count(*) FILTER (WHERE outcome = 'blocked') AS requests_blocked,
        count(*) FILTER (WHERE outcome NOT IN ('ok', 'not_found', 'blocked')) AS requests_failed
    FROM fetches
    WHERE page_type = 'search' AND term IS NOT NULL
    GROUP BY ALL
),

terms AS (
    SELECT
        run_id,
        'term' AS target_type,
        term AS target,
        CASE
            WHEN bool_and(requests_ok > 0) THEN 'ok'
            WHEN bool_or(requests_ok = 0 AND requests_blocked > 0) THEN 'blocked'
            ELSE 'failed'
        END AS outcome,
        sum(requests)::BIGINT AS requests,
        sum(requests_ok)::BIGINT AS requests_ok,
        sum(requests_blocked)::BIGINT AS requests_blocked,
        sum(requests_failed)::BIGINT AS requests_failed
    FROM search_pages
    GROUP BY run_id, term
),

term_results AS (
    SELECT run_id, term AS target, count(DISTINCT product_id) AS results
    FROM search_hits
    GROUP BY run_id, term
),

revisits AS (
    SELECT run_id, unnest(product_ids) AS product_id, outcome
    FROM fetches
    WHERE page_type IN ('detail', 'product_page')
),

listings_checked AS (
    SELECT
        run_id,
        'listing' AS target_type,
        product_id AS target,
        CASE
            WHEN bool_or(outcome = 'ok') THEN 'ok'
            WHEN bool_or(outcome = 'not_found') THEN 'not_found'
            WHEN bool_or(outcome = 'blocked') THEN 'blocked'
            ELSE 'failed'
        END AS outcome,
        count(*) AS requests,
        count(*) FILTER (WHERE outcome IN ('ok', 'not_found')) AS requests_ok,
        count(*) FILTER (WHERE outcome = 'blocked') AS requests_blocked,
        count(*) FILTER (WHERE outcome NOT IN ('ok', 'not_found', 'blocked')) AS requests_failed
    FROM revisits
    GROUP BY run_id, product_id
),

listing_results AS (
    SELECT
        run_id,
        product_id AS target,
        count(*) AS results,
        CASE WHEN bool_or(listing_status = 'listed') THEN 'listed' ELSE 'not_found' END AS listing_status
    FROM listing_observations
    GROUP BY run_id, product_id
),

checks AS (
    SELECT t.*, coalesce(r.results, 0) AS results, NULL::VARCHAR AS listing_status
    FROM terms AS t
    LEFT JOIN term_results AS r ON r.run_id = t.run_id AND r.target = t.target
    UNION ALL
    SELECT c.*, coalesce(r.results, 0) AS results, r.listing_status
    FROM listings_checked AS c
    LEFT JOIN listing_results AS r ON r.run_id = c.run_id AND r.target = c.target
),

final AS (
    SELECT
        c.run_id,
        r.marketplace,
        r.run_started_at,
        r.run_status,
        c.target_type,
        c.target,
        c.outcome,
        c.requests,
        c.requests_ok,
        c.requests_blocked,
        c.requests_failed,
        c.results,
        c.listing_status
    FROM checks AS c
    INNER JOIN runs AS r ON r.run_id = c.run_id
)

SELECT * FROM final
