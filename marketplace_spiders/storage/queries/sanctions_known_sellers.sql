-- Every known seller with its legal and storefront names, matched against the sanctions lists.
SELECT marketplace, seller_id, legal_name, name FROM sellers ORDER BY marketplace, seller_id
