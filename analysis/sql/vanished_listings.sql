-- Listings that disappeared in the period: a 'gone' spell (answered not found, or absent from an
-- 'ok' run that checked it) that started in the period after the listing had been listed.
-- Needs the temp table report_listings (report_listings.sql).
WITH selected AS (
    SELECT marketplace, product_id, string_agg(DISTINCT watch_product, ', ' ORDER BY watch_product)
        AS watch_products
    FROM report_listings
    GROUP BY marketplace, product_id
),

spells AS (
    SELECT a.*
    FROM availability_spells AS a
    SEMI JOIN selected AS s ON s.marketplace = a.marketplace AND s.product_id = a.product_id
),

disappearances AS (
    SELECT
        gone.marketplace,
        gone.product_id,
        before.ended_at AS last_listed_at,
        gone.started_at AS gone_confirmed_at,
        gone.first_run_id AS gone_run_id,
        gone.runs_confirmed AS gone_runs_confirmed,
        gone.next_state AS came_back_as
    FROM spells AS gone
    INNER JOIN spells AS before
        ON before.marketplace = gone.marketplace
        AND before.product_id = gone.product_id
        AND before.spell_number = gone.spell_number - 1
    WHERE gone.state = 'gone'
        AND ($since::TIMESTAMP IS NULL OR gone.started_at >= $since::TIMESTAMP)
        AND ($until::TIMESTAMP IS NULL OR gone.started_at < $until::TIMESTAMP)
),

final AS (
    SELECT
        d.marketplace,
        d.product_id,
        s.watch_products,
        c.title,
        c.seller_name,
        c.seller_legal_name,
        c.seller_inn,
        c.price AS last_price,
        c.currency AS last_price_currency,
        d.last_listed_at,
        d.gone_confirmed_at,
        d.gone_run_id,
        d.gone_runs_confirmed,
        d.came_back_as,
        c.url
    FROM disappearances AS d
    INNER JOIN selected AS s ON s.marketplace = d.marketplace AND s.product_id = d.product_id
    LEFT JOIN current_listings AS c ON c.marketplace = d.marketplace AND c.product_id = d.product_id
)

SELECT * FROM final ORDER BY gone_confirmed_at, marketplace, product_id
