-- listing_run_checks: every way a run checked one known listing. One row per (listing, run, check):
--   * a search term the listing was found under before (search_hits), searched in the run: answered
--     when every result page of the term got an answer (ok or not_found) on some attempt;
--   * a revisit request (detail batch or product page) whose product_ids include the listing:
--     answered when it returned ok or not_found.
-- A listing absent from a run that answered every check of it has disappeared; any unanswered
-- check (blocked, failed, malformed) makes its state in that run unknown.
-- Columns:
--   marketplace, product_id   the listing
--   run_id                    the run
--   check_type                search | revisit
--   term                      search term (NULL for revisits)
--   answered                  true when the marketplace answered (pages ok or not_found)
--   answered_not_found        true when a revisit answered "not found" for it (product_page 404 etc.)
--   outcome                   ok | not_found | blocked | failed | malformed (worst unanswered outcome,
--                             else ok / not_found)
--   checked_at                UTC time of the last response of the check
CREATE OR REPLACE VIEW listing_run_checks AS
WITH search_pages AS (
    SELECT
        run_id,
        marketplace,
        term,
        url,
        bool_or(outcome IN ('ok', 'not_found')) AS answered,
        arg_max(outcome, fetched_at) AS last_outcome,
        max(fetched_at) AS checked_at
    FROM fetches
    WHERE page_type = 'search' AND term IS NOT NULL
    GROUP BY ALL
),

term_runs AS (
    SELECT
        run_id,
        marketplace,
        term,
        bool_and(answered) AS answered,
        coalesce(max(last_outcome) FILTER (WHERE NOT answered), 'ok') AS outcome,
        max(checked_at) AS checked_at
    FROM search_pages
    GROUP BY ALL
),

listing_terms AS (
    SELECT marketplace, product_id, term, min(observed_at) AS first_hit_at
    FROM search_hits
    GROUP BY ALL
),

search_checks AS (
    SELECT
        lt.marketplace,
        lt.product_id,
        t.run_id,
        'search' AS check_type,
        t.term,
        t.answered,
        false AS answered_not_found,
        t.outcome,
        t.checked_at
    FROM term_runs AS t
    INNER JOIN listing_terms AS lt
        ON lt.marketplace = t.marketplace AND lt.term = t.term AND lt.first_hit_at <= t.checked_at
),

revisit_checks AS (
    SELECT
        marketplace,
        unnest(product_ids) AS product_id,
        run_id,
        'revisit' AS check_type,
        NULL::VARCHAR AS term,
        outcome IN ('ok', 'not_found') AS answered,
        outcome = 'not_found' AS answered_not_found,
        outcome,
        fetched_at AS checked_at
    FROM fetches
    WHERE page_type IN ('detail', 'product_page')
),

final AS (
    SELECT * FROM search_checks
    UNION ALL
    SELECT * FROM revisit_checks
)

SELECT * FROM final
