-- seller_id -> latest observation time, of one marketplace (bound: the marketplace): which seller documents are stale.
SELECT seller_id, max(observed_at) FROM seller_observations WHERE marketplace = ? GROUP BY seller_id
