-- Every imported sanctions-list entry with its aliases (sorted), for the entity matcher.
SELECT e.list_source, e.source_id, e.name, list(a.alias ORDER BY a.alias) FILTER (WHERE a.alias IS NOT NULL),
       e.dprk_related, e.un_reference, e.ofac_ent_num, e.programs
FROM sanctions_entities AS e
LEFT JOIN sanctions_aliases AS a USING (list_source, source_id)
GROUP BY ALL
ORDER BY e.list_source, e.source_id
