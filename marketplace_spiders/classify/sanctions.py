"""Import official sanctions lists into DuckDB and match sellers, manufacturers and brands against them.

Formats (``detect_format`` recognises each from the file itself):
- ``ofac_sdn_csv``: OFAC's legacy ``sdn.csv`` (no header; ent_num, SDN_Name, SDN_Type, Program, Title,
  Call_Sign, Vess_type, Tonnage, GRT, Vess_flag, Vess_owner, Remarks; ``-0-`` means empty; several programs
  are written ``IRAN] [SDGT``), plus the aliases in an ``alt.csv`` beside it (ent_num, alt_num, alt_type,
  alt_name, alt_remarks) when present.
- ``un_xml``: the UN Security Council consolidated list (CONSOLIDATED_LIST / INDIVIDUALS | ENTITIES /
  INDIVIDUAL | ENTITY with DATAID, FIRST_NAME…FOURTH_NAME, UN_LIST_TYPE, REFERENCE_NUMBER, LISTED_ON,
  NAME_ORIGINAL_SCRIPT, *_ALIAS (QUALITY, ALIAS_NAME), *_ADDRESS/COUNTRY, NATIONALITY/VALUE).
- ``opensanctions_ftm``: an OpenSanctions FollowTheMoney JSON-lines export ({"id", "schema", "properties",
  "referents", "datasets", "target", …}); only party schemata (Person, Company, …) are imported.
- ``opensanctions_csv``: OpenSanctions ``targets.simple.csv`` (id, schema, name, aliases, birth_date, countries,
  addresses, identifiers, sanctions, phones, emails, program_ids, dataset, first_seen, last_seen, last_change).

A list file is a full snapshot: importing it replaces every earlier entry of the same list. Rows are written
in batches (one Arrow table per table), so the ~18k entries of the real SDN list load in one statement each.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from marketplace_spiders.classify.entities import NAME_FIELDS, EntityMatcher, SanctionedParty
from marketplace_spiders.sql import append_rows, query, statements, transaction

FORMATS = ("ofac_sdn_csv", "un_xml", "opensanctions_ftm", "opensanctions_csv")
LIST_SOURCE = {"ofac_sdn_csv": "ofac_sdn", "un_xml": "un_sc", "opensanctions_ftm": "opensanctions",
               "opensanctions_csv": "opensanctions"}
OFAC_NULL = "-0-"
OFAC_COLUMNS = ("ent_num", "sdn_name", "sdn_type", "program", "title", "call_sign", "vess_type", "tonnage", "grt",
                "vess_flag", "vess_owner", "remarks")
OFAC_ALT_COLUMNS = ("ent_num", "alt_num", "alt_type", "alt_name", "alt_remarks")
OPENSANCTIONS_CSV_HEADER = ("id", "schema", "name", "aliases")
FTM_PARTY_SCHEMATA = {"Person", "Company", "Organization", "LegalEntity", "PublicBody", "Vessel", "Airplane"}
FTM_NAME_PROPERTIES = ("alias", "weakAlias", "previousName")
FTM_COUNTRY_PROPERTIES = ("country", "jurisdiction", "mainCountry", "nationality")
FTM_IDENTIFIER_PROPERTIES = ("innCode", "ogrnCode", "registrationNumber", "unscId", "imoNumber")
UN_REFERENCE = re.compile(r"^[A-Z]{2}[ei]\.\d{3}$")  # KPe.038, QDi.426
DPRK_COUNTRIES = {"kp", "democratic people's republic of korea", "korea, north", "north korea"}
DPRK_TEXT = ("dprk", "north korea", "korea, north", "democratic people's republic of korea")
HEAD_BYTES = 1 << 20

ENTITY_COLUMNS = ("list_source", "source_id", "entity_type", "name", "programs", "un_reference", "ofac_ent_num",
                  "listed_on", "countries", "identifiers", "remarks", "dprk_related", "source_file", "file_sha256",
                  "imported_at")
ALIAS_COLUMNS = ("list_source", "source_id", "alias", "alias_type")
IMPORT_COLUMNS = ("list_source", "format", "source_file", "file_sha256", "entity_count", "alias_count",
                  "imported_at")
MATCH_COLUMNS = ("subject_type", "marketplace", "seller_id", "subject_value", "list_source", "source_id",
                 "entity_name", "matched_name", "score", "method", "matched_at")


@dataclass
class ListEntry:
    """One sanctions-list entry as stored in ``sanctions_entities`` (+ ``sanctions_aliases``)."""

    list_source: str
    source_id: str
    name: str
    entity_type: str | None = None
    programs: str | None = None  # ';'-separated
    un_reference: str | None = None
    ofac_ent_num: str | None = None
    listed_on: str | None = None
    countries: str | None = None  # ';'-separated
    identifiers: str | None = None
    remarks: str | None = None
    aliases: list[tuple[str, str]] = field(default_factory=list)  # (alias, alias_type)

    @property
    def dprk_related(self) -> bool:
        """Listed under a DPRK programme, with a UN ``KP`` reference, a North Korean country or a remark saying so."""
        programs = [p.strip().upper() for p in (self.programs or "").split(";")]
        if any(p.startswith("DPRK") or p.startswith("US-DPRK") or p == "UN-SC1718" for p in programs):
            return True
        if (self.un_reference or "").upper().startswith("KP"):
            return True
        if any(c.strip().lower() in DPRK_COUNTRIES for c in (self.countries or "").split(";")):
            return True
        remarks = (self.remarks or "").lower()
        return any(text in remarks for text in DPRK_TEXT)


class UnknownFormat(ValueError):
    """The file is none of the supported sanctions-list formats."""


def _clean(value: str | None) -> str | None:
    """Whitespace collapsed (list files carry stray spaces and line breaks inside names); None when empty."""
    text = " ".join((value or "").split())
    return text or None


def _joined(values: Iterable[str | None]) -> str | None:
    return ";".join(dict.fromkeys(v for v in values if v)) or None


# -- format detection -------------------------------------------------------------------------------


def _first_line(path: Path) -> str:
    with Path(path).open("rb") as fh:
        for raw in fh:
            line = raw[:HEAD_BYTES].decode("utf-8-sig", errors="replace").strip()
            if line:
                return line
    return ""


def detect_format(path: Path) -> str:
    """Which of ``FORMATS`` a file is, from its first line(s)."""
    with Path(path).open("rb") as fh:
        head = fh.read(4096).decode("utf-8-sig", errors="replace").lstrip()
    if head.startswith("<") and "<CONSOLIDATED_LIST" in head:
        return "un_xml"
    first = _first_line(path)
    if first.startswith("{"):
        try:
            record = json.loads(first)
        except json.JSONDecodeError:
            record = {}
        if isinstance(record, dict) and "schema" in record and "properties" in record:
            return "opensanctions_ftm"
    row = next(csv.reader([first]), [])
    if tuple(c.strip().lower() for c in row[:4]) == OPENSANCTIONS_CSV_HEADER:
        return "opensanctions_csv"
    if row and row[0].strip().isdigit():
        if len(row) == len(OFAC_COLUMNS):
            return "ofac_sdn_csv"
        if len(row) == len(OFAC_ALT_COLUMNS):
            raise UnknownFormat(f"{path}: this is an OFAC alt.csv (aliases); import the sdn.csv beside it")
    raise UnknownFormat(
        f"{path}: not an OFAC sdn.csv, UN consolidated list XML, OpenSanctions FtM JSON lines or targets.simple.csv"
    )


# -- parsers ----------------------------------------------------------------------------------------


def _ofac_value(value: str | None) -> str | None:
    value = _clean(value)
    return None if value is None or value == OFAC_NULL else value


def _ofac_rows(path: Path, width: int) -> Iterator[list[str]]:
    """Rows of an OFAC legacy CSV; the control-character line at the end (0x1A) and short rows are skipped."""
    with Path(path).open(encoding="utf-8-sig", errors="replace", newline="") as fh:
        for row in csv.reader(fh):
            if len(row) >= width - 1 and row[0].strip().isdigit():
                yield row


def _ofac_aliases(alt_path: Path | None) -> dict[str, list[tuple[str, str]]]:
    aliases: dict[str, list[tuple[str, str]]] = {}
    if alt_path is None or not Path(alt_path).exists():
        return aliases
    for row in _ofac_rows(alt_path, len(OFAC_ALT_COLUMNS)):
        name = _ofac_value(row[3])
        if name:
            alt_type = (_ofac_value(row[2]) or "aka").lower().replace(".", "")
            aliases.setdefault(row[0].strip(), []).append((name, alt_type))
    return aliases


def _ofac_programs(value: str | None) -> str | None:
    """``IRAN] [SDGT] [IFSR`` → ``IRAN;SDGT;IFSR`` (the legacy CSV keeps the brackets of the text list)."""
    if not value:
        return None
    return _joined(p.strip(" []") for p in value.split("] ["))


def parse_ofac_sdn(path: Path, alt_path: Path | None = None) -> list[ListEntry]:
    """Entries of an OFAC sdn.csv (and its alt.csv, by default the one beside it)."""
    path = Path(path)
    aliases = _ofac_aliases(alt_path if alt_path is not None else path.with_name("alt.csv"))
    entries = []
    for row in _ofac_rows(path, len(OFAC_COLUMNS)):
        values = dict(zip(OFAC_COLUMNS, (_ofac_value(v) for v in row), strict=False))
        ent_num = row[0].strip()
        entries.append(ListEntry(
            "ofac_sdn", ent_num, values["sdn_name"] or ent_num, entity_type=values["sdn_type"] or "entity",
            programs=_ofac_programs(values["program"]), ofac_ent_num=ent_num, remarks=values.get("remarks"),
            aliases=aliases.get(ent_num, []),
        ))
    return entries


def _xml_text(node: ET.Element, tag: str) -> str | None:
    child = node.find(tag)
    return None if child is None else _clean(child.text)


def _un_entry(node: ET.Element, entity_type: str) -> ListEntry:
    name = " ".join(p for p in (_xml_text(node, t) for t in ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME",
                                                                 "FOURTH_NAME")) if p)
    aliases = []
    for alias in node.findall(f"{entity_type.upper()}_ALIAS"):
        alias_name = _xml_text(alias, "ALIAS_NAME")
        if alias_name:
            quality = (_xml_text(alias, "QUALITY") or "alias").lower().replace(".", "")
            aliases.append((alias_name, quality))
    original = _xml_text(node, "NAME_ORIGINAL_SCRIPT")
    if original:
        aliases.append((original, "original_script"))
    countries = [_clean(c.text) for c in node.findall(f"{entity_type.upper()}_ADDRESS/COUNTRY")]
    countries += [_clean(v.text) for v in node.findall("NATIONALITY/VALUE")]
    reference = _xml_text(node, "REFERENCE_NUMBER")
    return ListEntry(
        "un_sc", _xml_text(node, "DATAID") or reference or name, name, entity_type=entity_type,
        programs=_xml_text(node, "UN_LIST_TYPE"), un_reference=reference, listed_on=_xml_text(node, "LISTED_ON"),
        countries=_joined(countries), remarks=_xml_text(node, "COMMENTS1"), aliases=aliases,
    )


def parse_un_xml(path: Path) -> list[ListEntry]:
    """Entries of the UN Security Council consolidated list XML (entities first, then individuals)."""
    root = ET.parse(path).getroot()
    entries = [_un_entry(n, "entity") for n in root.iter("ENTITY")]
    entries += [_un_entry(n, "individual") for n in root.iter("INDIVIDUAL")]
    return entries


def _ftm_entry(record: dict) -> ListEntry | None:
    if record.get("schema") not in FTM_PARTY_SCHEMATA or record.get("target") is False:
        return None
    props = record.get("properties", {})
    names = [n for n in (_clean(v) for v in props.get("name", [])) if n] or [record.get("caption") or record["id"]]
    aliases = [(n, "name") for n in names[1:]]
    aliases += [(a, prop) for prop in FTM_NAME_PROPERTIES for a in (_clean(v) for v in props.get(prop, [])) if a]
    ofac = [r.removeprefix("ofac-") for r in record.get("referents", []) if re.fullmatch(r"ofac-\d+", r)]
    if re.fullmatch(r"ofac-\d+", record["id"]):
        ofac.insert(0, record["id"].removeprefix("ofac-"))
    return ListEntry(
        "opensanctions", record["id"], names[0], entity_type=record.get("schema"),
        programs=_joined(props.get("programId", []) + props.get("topics", [])),
        un_reference=(props.get("unscId") or [None])[0], ofac_ent_num=ofac[0] if ofac else None,
        countries=_joined(c for p in FTM_COUNTRY_PROPERTIES for c in props.get(p, [])),
        identifiers=_joined(f"{k}:{v}" for k in FTM_IDENTIFIER_PROPERTIES for v in props.get(k, [])),
        remarks=_joined(record.get("datasets", [])), aliases=aliases,
    )


def parse_opensanctions_ftm(path: Path) -> list[ListEntry]:
    """Target party entities (Person, Company, Organization, …) of a FollowTheMoney JSON-lines export."""
    entries = []
    with Path(path).open(encoding="utf-8-sig") as fh:
        for line in fh:
            if line.strip():
                entry = _ftm_entry(json.loads(line))
                if entry is not None:
                    entries.append(entry)
    return entries


def _split(value: str | None) -> list[str]:
    return [v for v in (_clean(p) for p in (value or "").split(";")) if v]


def parse_opensanctions_csv(path: Path) -> list[ListEntry]:
    """Entries of an OpenSanctions targets.simple.csv (its first_seen is not a listing date, so none is kept)."""
    entries = []
    with Path(path).open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            identifiers = _split(row.get("identifiers"))
            un_refs = [i for i in identifiers if UN_REFERENCE.match(i)]
            entries.append(ListEntry(
                "opensanctions", row["id"], _clean(row.get("name")) or row["id"], entity_type=row.get("schema"),
                programs=_joined(_split(row.get("program_ids")) or _split(row.get("sanctions"))),
                un_reference=un_refs[0] if un_refs else None, countries=_joined(_split(row.get("countries"))),
                identifiers=_joined(identifiers), remarks=_joined(_split(row.get("dataset"))),
                aliases=[(a, "alias") for a in _split(row.get("aliases"))],
            ))
    return entries


def parse_list(path: Path, fmt: str | None = None, alt_path: Path | None = None) -> tuple[str, list[ListEntry]]:
    """The format (detected unless given) and entries of a sanctions-list file."""
    fmt = fmt or detect_format(path)
    if fmt == "ofac_sdn_csv":
        return fmt, parse_ofac_sdn(path, alt_path)
    parsers = {"un_xml": parse_un_xml, "opensanctions_ftm": parse_opensanctions_ftm,
               "opensanctions_csv": parse_opensanctions_csv}
    if fmt not in parsers:
        raise UnknownFormat(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    return fmt, parsers[fmt](path)


# -- DuckDB ---------------------------------------------------------------------------------------


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def store_entries(con: duckdb.DuckDBPyConnection, entries: list[ListEntry], fmt: str,
                  source_file: Path) -> tuple[int, int]:
    """Replace the list's entries in ``sanctions_entities`` / ``sanctions_aliases`` and log the import in
    ``sanctions_imports``; returns (entries, aliases) stored."""
    list_source = LIST_SOURCE[fmt]
    sha = _file_sha256(source_file)
    now = _now()
    for statement in statements(query("sanctions_clear_list")):
        con.execute(statement, {"list_source": list_source})
    unique = {e.source_id: e for e in entries}
    append_rows(con, "sanctions_entities", ENTITY_COLUMNS, [
        (list_source, e.source_id, e.entity_type, e.name, e.programs, e.un_reference, e.ofac_ent_num, e.listed_on,
         e.countries, e.identifiers, e.remarks, e.dprk_related, str(source_file), sha, now)
        for e in unique.values()
    ])
    aliases = sorted({(e.source_id, a, t) for e in unique.values() for a, t in e.aliases if a != e.name})
    append_rows(con, "sanctions_aliases", ALIAS_COLUMNS, [(list_source, sid, a, t) for sid, a, t in aliases])
    append_rows(con, "sanctions_imports", IMPORT_COLUMNS,
            [(list_source, fmt, str(source_file), sha, len(unique), len(aliases), now)])
    return len(unique), len(aliases)


def load_sanctioned_parties(con: duckdb.DuckDBPyConnection) -> list[SanctionedParty]:
    """Every imported entry with its aliases, for the entity matcher ([] when nothing was imported)."""
    rows = con.execute(query("sanctioned_parties")).fetchall()
    return [SanctionedParty(r[0], r[1], r[2], tuple(r[3] or ()), bool(r[4]), r[5], r[6], r[7]) for r in rows]


def _known_parties(con: duckdb.DuckDBPyConnection) -> Iterator[tuple[str, str | None, str | None, str]]:
    """(subject_type, marketplace, seller_id, name) of every seller legal name, manufacturer and brand seen."""
    for marketplace, seller_id, legal_name, name in con.execute(query("sanctions_known_sellers")).fetchall():
        for value in dict.fromkeys(v for v in (legal_name, name) if v):
            yield "seller", marketplace, seller_id, value
    for subject, marketplace, value in con.execute(query("sanctions_known_names")).fetchall():
        yield subject, marketplace, None, value


def match_known_parties(con: duckdb.DuckDBPyConnection, parties: Iterable[SanctionedParty] | None = None) -> int:
    """Match every known seller, manufacturer and brand against the imported lists into ``sanctions_matches``
    (rebuilt from scratch); returns the number of matches."""
    parties = list(parties) if parties is not None else load_sanctioned_parties(con)
    matcher = EntityMatcher((), parties)
    now = _now()
    rows = []
    for subject, marketplace, seller_id, value in _known_parties(con):
        field_name = "seller_legal_name" if subject == "seller" else subject
        assert field_name in NAME_FIELDS
        for match in matcher.match_name(field_name, value):
            list_source, _, source_id = match["entity_id"].partition(":")
            rows.append((subject, marketplace, seller_id, value, list_source, source_id, match["name"],
                         match["matched_name"], match["score"], match["method"], now))
    con.execute("DELETE FROM sanctions_matches")
    append_rows(con, "sanctions_matches", MATCH_COLUMNS, rows)
    return len(rows)


def import_list(con: duckdb.DuckDBPyConnection, path: Path, fmt: str | None = None,
                alt_path: Path | None = None) -> dict[str, object]:
    """Import one list file and re-match known parties; returns a summary. Runs in one transaction."""
    fmt, entries = parse_list(Path(path), fmt, alt_path)
    with transaction(con):
        count, alias_count = store_entries(con, entries, fmt, Path(path))
        matches = match_known_parties(con)
    return {"format": fmt, "list_source": LIST_SOURCE[fmt], "entities": count, "aliases": alias_count,
            "dprk_related": sum(e.dprk_related for e in {e.source_id: e for e in entries}.values()),
            "matches": matches}
