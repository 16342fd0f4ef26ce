-- Before a list file is stored: drop every earlier entry of the same list ($list_source): a file is a full snapshot.
DELETE FROM sanctions_aliases WHERE list_source = $list_source;
DELETE FROM sanctions_entities WHERE list_source = $list_source;
