-- Numbers a seller page shows as ИНН/ОГРН/ОГРНИП that failed their length or control-digit check are never
-- stored in inn/ogrn; the raw text is kept here ('; '-separated "<label> <digits>: <why>").
ALTER TABLE seller_observations ADD COLUMN legal_id_rejects VARCHAR;
