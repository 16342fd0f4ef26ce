-- price_changes: one row per change of a listing's price between two consecutive trusted
-- observations in the same currency that both carried a price (listing_states). Failed runs, blocked
-- requests and unobserved runs leave no row in listing_states, so a price that is the same on both sides
-- of such a gap is not a change, and a gap never creates one. A listing that disappeared and came back at
-- another price shows one change across the disappearance. Prices in different currencies are never
-- compared: a listing shown in roubles, then in tenge (KZT), has no change; each currency is its own
-- series, so 7000 RUB, 50000 KZT, 7500 RUB is one change of +500 RUB.
-- Columns:
--   marketplace, product_id   the listing
--   seller_id                 seller at the new observation
--   currency                  ISO 4217 currency of both prices (NULL only for rows stored without one)
--   old_price, new_price      in that currency (DECIMAL)
--   change_abs                new_price - old_price
--   change_rel                new_price / old_price - 1 (0.10 = +10 %); NULL when old_price is 0
--   old_observed_at           UTC time of the observation with old_price
--   new_observed_at           UTC time of the observation with new_price
--   old_run_id, new_run_id    the runs of those observations
CREATE OR REPLACE VIEW price_changes_live AS
WITH priced AS (
    SELECT marketplace, product_id, listing_key, run_id, run_seq, observed_at, seller_id, currency, price
    FROM listing_states
    WHERE price IS NOT NULL
),

with_previous AS (
    SELECT
        *,
        lag(price) OVER by_listing AS old_price,
        lag(observed_at) OVER by_listing AS old_observed_at,
        lag(run_id) OVER by_listing AS old_run_id
    FROM priced
    WINDOW by_listing AS (PARTITION BY listing_key, currency ORDER BY run_seq, observed_at)
),

final AS (
    SELECT
        marketplace,
        product_id,
        seller_id,
        currency,
        old_price,
        price AS new_price,
        price - old_price AS change_abs,
        CASE WHEN old_price <> 0 THEN round(price / old_price - 1, 4)::DOUBLE END AS change_rel,
        old_observed_at,
        observed_at AS new_observed_at,
        old_run_id,
        run_id AS new_run_id
    FROM with_previous
    WHERE price <> old_price
)

SELECT * FROM final
