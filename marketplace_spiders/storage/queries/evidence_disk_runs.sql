-- Every run, with what `scrapy evidence du|prune` (marketplace_spiders.evidence.disk) join to the run folders on
-- disk: where its archive is, its package digest and tokens as recorded, and how many stored rows came from it.
-- cited_descriptions: description versions whose evidence is a fetch of this run (a description is stored once,
-- the first time it is seen, and points to the first fetch that returned it: view evidence_of_rows), so a run
-- that made no observation can still hold the only record of a description: prune keeps such a run.
WITH listing AS (SELECT run_id, count(*) AS n FROM listing_observations GROUP BY run_id),
     seller AS (SELECT run_id, count(*) AS n FROM seller_observations GROUP BY run_id),
     hits AS (SELECT run_id, count(*) AS n FROM search_hits GROUP BY run_id),
     cited AS (SELECT run_id, count(*) AS n FROM evidence_of_rows WHERE row_kind = 'description' GROUP BY run_id)
SELECT r.run_id, r.marketplace, r.started_at, r.finished_at, r.status, r.item_count, r.evidence_path,
       r.evidence_sha256, r.evidence_tokens,
       coalesce(listing.n, 0) AS listing_observations,
       coalesce(seller.n, 0) AS seller_observations,
       coalesce(hits.n, 0) AS search_hits,
       coalesce(cited.n, 0) AS cited_descriptions
FROM crawl_runs r
LEFT JOIN listing USING (run_id)
LEFT JOIN seller USING (run_id)
LEFT JOIN hits USING (run_id)
LEFT JOIN cited USING (run_id)
ORDER BY r.marketplace, r.started_at, r.run_id
