-- A stored ИНН has 10 (company) or 12 (individual) digits, an ОГРН 13 and an ОГРНИП 15: anything else is kept
-- in legal_id_rejects, never in inn/ogrn.
SELECT 'seller_observations' AS table_name, marketplace, seller_id, inn, ogrn
FROM seller_observations
WHERE (inn IS NOT NULL AND NOT regexp_full_match(inn, '[0-9]{10}|[0-9]{12}'))
   OR (ogrn IS NOT NULL AND NOT regexp_full_match(ogrn, '[0-9]{13}|[0-9]{15}'))
UNION ALL
SELECT 'sellers', marketplace, seller_id, inn, ogrn
FROM sellers
WHERE (inn IS NOT NULL AND NOT regexp_full_match(inn, '[0-9]{10}|[0-9]{12}'))
   OR (ogrn IS NOT NULL AND NOT regexp_full_match(ogrn, '[0-9]{13}|[0-9]{15}'))
