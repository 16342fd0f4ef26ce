-- crawl_run_sequence: every crawl run numbered within its marketplace, oldest first.
-- Columns:
--   run_id       crawl_runs.run_id
--   marketplace  marketplace slug
--   started_at   UTC start of the run
--   status       ok | degraded | failed (crawl_runs.status)
--   run_seq      1, 2, 3 ... per marketplace in start order (ties broken by run_id)
--   is_latest    true for the most recent run of its marketplace
CREATE OR REPLACE VIEW crawl_run_sequence AS
WITH runs AS (
    SELECT run_id, marketplace, started_at, status
    FROM crawl_runs
),

numbered AS (
    SELECT
        *,
        row_number() OVER (PARTITION BY marketplace ORDER BY started_at, run_id) AS run_seq,
        count(*) OVER (PARTITION BY marketplace) AS runs_in_marketplace
    FROM runs
),

final AS (
    SELECT run_id, marketplace, started_at, status, run_seq, run_seq = runs_in_marketplace AS is_latest
    FROM numbered
)

SELECT * FROM final
