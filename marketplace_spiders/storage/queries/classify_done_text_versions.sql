-- Text versions already classified of a chunk's listings ($marketplaces, $product_ids: parallel lists).
SELECT c.marketplace, c.product_id, c.text_key
FROM listing_classifications AS c
SEMI JOIN (SELECT unnest($marketplaces) AS marketplace, unnest($product_ids) AS product_id) AS o
    ON o.marketplace = c.marketplace AND o.product_id = c.product_id
