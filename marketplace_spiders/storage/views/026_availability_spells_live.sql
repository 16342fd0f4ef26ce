-- availability_spells: maximal periods in which a listing was confirmed in one state. A run confirms
-- a state with a trusted observation (listing_states) or, for 'gone', when an 'ok' run answered every
-- check of the listing (listing_run_checks: its search terms and revisits) and the listing was absent.
-- Runs that did not confirm anything (failed, partial, blocked, not covered) are unknown: they neither
-- end a spell nor start one, so a spell can span them.
-- Columns:
--   marketplace, product_id   the listing
--   spell_number              1, 2, 3 ... per listing in time order
--   state                     available | out_of_stock | gone
--   started_at                first confirmation (UTC)
--   ended_at                  last confirmation (UTC); the state may have lasted longer
--   runs_confirmed            number of runs that confirmed the state
--   first_run_id, last_run_id runs of the first and last confirmation
--   next_state                state of the following spell (NULL while this is the latest spell)
--   next_started_at           first confirmation of the following spell (NULL for the latest spell)
CREATE OR REPLACE VIEW availability_spells_live AS
WITH states AS (
    SELECT listing_key, marketplace, run_seq, observed_at, state
    FROM listing_states
),

ok_runs AS (
    SELECT run_id, marketplace, run_seq
    FROM crawl_run_sequence
    WHERE status = 'ok'
),

ordered AS (
    SELECT
        *,
        lag(state) OVER by_listing AS prev_state,
        lag(run_seq) OVER by_listing AS prev_run_seq,
        lag(observed_at) OVER by_listing AS prev_observed_at,
        lead(run_seq) OVER by_listing AS next_run_seq,
        row_number() OVER by_listing AS row_ordinal
    FROM states
    WINDOW by_listing AS (PARTITION BY listing_key ORDER BY run_seq, observed_at)
),

-- Rows where something happens: the state changes, runs are missing before the row, the run repeats
-- (a second observation in one run) or the listing's history ends. Every row between two such rows
-- continues the earlier row's state in a new run.
key_rows AS MATERIALIZED (
    SELECT *, prev_run_seq = run_seq AND prev_state = state AS repeats_run
    FROM ordered
    WHERE prev_state IS DISTINCT FROM state
        OR run_seq > prev_run_seq + 1
        OR run_seq = prev_run_seq
        OR next_run_seq IS NULL
),

-- Runs in which the listing has no trusted observation: inside gaps and after its last observation.
last_run_seqs AS (
    SELECT marketplace, max(run_seq) AS last_run_seq
    FROM crawl_run_sequence
    GROUP BY marketplace
),

missing_runs AS (
    SELECT k.listing_key, k.marketplace, unnest(range(k.prev_run_seq + 1, k.run_seq)) AS run_seq
    FROM key_rows AS k
    WHERE k.run_seq > k.prev_run_seq + 1
    UNION ALL
    SELECT k.listing_key, k.marketplace, unnest(range(k.run_seq + 1, m.last_run_seq + 1)) AS run_seq
    FROM key_rows AS k
    INNER JOIN last_run_seqs AS m ON m.marketplace = k.marketplace
    WHERE k.next_run_seq IS NULL AND k.run_seq < m.last_run_seq
),

absence_candidates AS (
    SELECT m.listing_key, r.run_id, r.run_seq
    FROM missing_runs AS m
    INNER JOIN ok_runs AS r ON r.marketplace = m.marketplace AND r.run_seq = m.run_seq
),

candidate_listings AS MATERIALIZED (
    SELECT a.listing_key, a.run_id, a.run_seq, lk.marketplace, lk.product_id
    FROM absence_candidates AS a
    INNER JOIN listing_keys AS lk ON lk.listing_key = a.listing_key
),

candidate_checks AS (
    SELECT run_id, marketplace, product_id, answered, checked_at
    FROM listing_run_checks
    WHERE run_id IN (SELECT run_id FROM candidate_listings)
        AND product_id IN (SELECT product_id FROM candidate_listings)
),

absences AS (
    SELECT a.listing_key, a.run_seq, max(c.checked_at) AS observed_at
    FROM candidate_listings AS a
    INNER JOIN candidate_checks AS c
        ON c.run_id = a.run_id AND c.marketplace = a.marketplace AND c.product_id = a.product_id
    GROUP BY a.listing_key, a.run_seq
    HAVING bool_and(c.answered)
),

observed_segments AS (
    SELECT
        listing_key,
        run_seq AS first_run_seq,
        state,
        observed_at AS started_at,
        coalesce(lead(prev_observed_at) OVER by_listing, observed_at) AS ended_at,
        coalesce(
            lead(prev_run_seq) OVER by_listing,
            run_seq
        ) AS last_run_seq,
        coalesce(lead(row_ordinal) OVER by_listing, row_ordinal + 1) - row_ordinal
            - CASE WHEN repeats_run THEN 1 ELSE 0 END AS runs_confirmed
    FROM key_rows
    WINDOW by_listing AS (PARTITION BY listing_key ORDER BY run_seq, observed_at)
),

segments AS (
    SELECT listing_key, first_run_seq, state, started_at, ended_at, last_run_seq, runs_confirmed
    FROM observed_segments
    UNION ALL
    SELECT listing_key, run_seq, 'gone', observed_at, observed_at, run_seq, 1
    FROM absences
),

numbered AS (
    SELECT
        *,
        sum(new_spell::INT) OVER (
            PARTITION BY listing_key ORDER BY first_run_seq, started_at ROWS UNBOUNDED PRECEDING
        ) AS spell_number
    FROM (
        SELECT
            *,
            lag(state) OVER (PARTITION BY listing_key ORDER BY first_run_seq, started_at)
                IS DISTINCT FROM state AS new_spell
        FROM segments
    )
),

spells AS (
    SELECT
        listing_key,
        spell_number,
        any_value(state) AS state,
        min(started_at) AS started_at,
        max(ended_at) AS ended_at,
        sum(runs_confirmed)::BIGINT AS runs_confirmed,
        min(first_run_seq) AS first_run_seq,
        max(last_run_seq) AS last_run_seq
    FROM numbered
    GROUP BY listing_key, spell_number
),

final AS (
    SELECT
        lk.marketplace,
        lk.product_id,
        s.spell_number,
        s.state,
        s.started_at,
        s.ended_at,
        s.runs_confirmed,
        fr.run_id AS first_run_id,
        lr.run_id AS last_run_id,
        lead(s.state) OVER by_listing AS next_state,
        lead(s.started_at) OVER by_listing AS next_started_at
    FROM spells AS s
    INNER JOIN listing_keys AS lk ON lk.listing_key = s.listing_key
    INNER JOIN crawl_run_sequence AS fr ON fr.marketplace = lk.marketplace AND fr.run_seq = s.first_run_seq
    INNER JOIN crawl_run_sequence AS lr ON lr.marketplace = lk.marketplace AND lr.run_seq = s.last_run_seq
    WINDOW by_listing AS (PARTITION BY s.listing_key ORDER BY s.spell_number)
)

SELECT * FROM final
