"""Sanctions-list import (marketplace_spiders.classify.sanctions) and the ``scrapy import_sanctions`` command.

The extracts in fixtures/classify/sanctions/ keep the structure of the official files; see the README there for
which rows are copied from public copies of the lists and which values are hand-written.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from marketplace_spiders.classify import sanctions
from marketplace_spiders.classify.sanctions import (
    UnknownFormat,
    detect_format,
    import_list,
    parse_list,
    parse_ofac_sdn,
)
from marketplace_spiders.storage.database import Database

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "fixtures" / "classify" / "sanctions"
SCRAPY = Path(sys.executable).with_name("scrapy")


def entries_by_id(name: str) -> dict:
    _, entries = parse_list(FIXTURES / name)
    return {e.source_id: e for e in entries}


def rows(con, sql: str, params=()) -> list[tuple]:
    return con.execute(sql, list(params)).fetchall()


# -- format detection --------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "fmt"), [
    ("sdn.csv", "ofac_sdn_csv"),
    ("consolidated.xml", "un_xml"),
    ("opensanctions.ftm.json", "opensanctions_ftm"),
    ("targets.simple.csv", "opensanctions_csv"),
])
def test_detect_format(name, fmt):
    assert detect_format(FIXTURES / name) == fmt


def test_unrelated_file_is_an_unknown_format(tmp_path):
    with pytest.raises(UnknownFormat, match="not an OFAC sdn.csv, UN consolidated list XML"):
        detect_format(FIXTURES / "README.md")
    other_json = tmp_path / "other.json"
    other_json.write_text('{"name": "not a FollowTheMoney entity"}\n', encoding="utf-8")
    with pytest.raises(UnknownFormat):
        detect_format(other_json)
    other_csv = tmp_path / "prices.csv"
    other_csv.write_text("product_id,price\n123,450.00\n", encoding="utf-8")
    with pytest.raises(UnknownFormat):
        detect_format(other_csv)


def test_alt_csv_alone_is_refused_with_a_hint():
    with pytest.raises(UnknownFormat, match="alt.csv"):
        detect_format(FIXTURES / "alt.csv")


# -- parsing ---------------------------------------------------------------------------------------------


def test_parse_ofac_sdn_with_aliases_beside_it():
    entries = entries_by_id("sdn.csv")
    assert list(entries) == ["36", "2674", "9347", "9524", "12478", "54764"]  # the 0x1A end line is no entry

    pugang = entries["9524"]
    assert pugang.name == "KOREA PUGANG TRADING CORPORATION"
    assert pugang.ofac_ent_num == "9524"
    assert pugang.programs == "NPWMD"
    assert pugang.entity_type == "entity"  # SDN_Type "-0-" is an organisation
    assert pugang.remarks.startswith("Secondary sanctions risk: North Korea Sanctions Regulations")
    assert pugang.aliases == []  # the real alt.csv has no alias for 9524
    assert pugang.dprk_related

    assert entries["9347"].aliases == [("KOREA YONBONG GENERAL CORPORATION", "aka"),
                                       ("LYONGAKSAN GENERAL TRADING CORPORATION", "fka")]
    assert entries["54764"].programs == "DPRK3"
    assert entries["54764"].dprk_related

    ansar = entries["12478"]
    assert ansar.programs == "IRAN;SDGT;NPWMD;IRGC;IFSR"  # "IRAN] [SDGT] [..." in the file
    assert not ansar.dprk_related  # NPWMD alone is not North Korea

    abbas = entries["2674"]
    assert (abbas.name, abbas.entity_type, abbas.programs) == ("ABBAS, Abu", "individual", "SDGT")
    assert not abbas.dprk_related
    assert entries["36"].aliases == [("AERO-CARIBBEAN", "aka")]
    assert not entries["36"].dprk_related


def test_parse_ofac_sdn_without_alt_csv(tmp_path):
    sdn = tmp_path / "sdn.csv"
    sdn.write_bytes((FIXTURES / "sdn.csv").read_bytes())
    entries = {e.source_id: e for e in parse_ofac_sdn(sdn)}
    assert entries["9347"].aliases == []
    explicit = {e.source_id: e for e in parse_ofac_sdn(sdn, FIXTURES / "alt.csv")}
    assert len(explicit["9347"].aliases) == 2


def test_parse_un_consolidated_xml():
    entries = entries_by_id("consolidated.xml")
    assert set(entries) == {"110394", "6908561", "690751", "6908555", "6908434"}

    pugang = entries["6908561"]
    assert pugang.name == "KOREA PUGANG TRADING CORPORATION"
    assert (pugang.un_reference, pugang.listed_on, pugang.programs) == ("KPe.038", "2016-11-30", "DPRK")
    assert pugang.entity_type == "entity"
    assert pugang.countries == "Democratic People's Republic of Korea"
    assert pugang.aliases == []  # an empty <ENTITY_ALIAS> is no alias
    assert "owned by the Korea Ryonbong General Corporation" in pugang.remarks
    assert pugang.dprk_related

    ryonbong = entries["690751"]
    assert (ryonbong.un_reference, ryonbong.listed_on) == ("KPe.002", "2009-04-24")
    assert ryonbong.aliases == [("KOREA YONBONG GENERAL CORPORATION", "aka"),
                                ("LYONGAKSAN GENERAL TRADING CORPORATION", "fka")]
    assert "\n" not in ryonbong.remarks

    ri = entries["6908555"]
    assert (ri.name, ri.entity_type, ri.un_reference) == ("RI WON HO", "individual", "KPi.033")
    assert ri.dprk_related

    houthi = entries["6908434"]
    assert houthi.name == "ABD AL-KHALIQ AL-HOUTHI"
    assert ("عبدالخالق الحوثي", "original_script") in houthi.aliases
    assert ("Abu-Yunus", "low") in houthi.aliases
    assert not houthi.dprk_related
    assert not entries["110394"].dprk_related
    assert entries["110394"].aliases == [("Naval Defence Missile Industry Group", "aka")]


def test_parse_opensanctions_ftm_keeps_target_parties_only():
    entries = entries_by_id("opensanctions.ftm.json")
    assert set(entries) == {"NK-pugangExtract", "NK-sobaeksuExtract", "NK-aerocaribbeanExtract"}  # no Sanction, Address

    pugang = entries["NK-pugangExtract"]
    assert pugang.name == "Korea Pugang Trading Corporation"
    assert pugang.un_reference == "KPe.038"
    assert pugang.ofac_ent_num == "9524"  # from the referent ofac-9524
    assert pugang.aliases == [("Korea Pugang Corporation", "alias"), ("부강무역회사", "alias")]
    assert "UN-SC1718" in pugang.programs.split(";")
    assert pugang.countries == "kp"
    assert pugang.remarks == "us_ofac_sdn;un_sc_sanctions"
    assert pugang.dprk_related
    assert entries["NK-sobaeksuExtract"].dprk_related
    assert not entries["NK-aerocaribbeanExtract"].dprk_related


def test_parse_opensanctions_targets_simple_csv():
    entries = entries_by_id("targets.simple.csv")
    assert list(entries) == ["NK-pugangExtract", "NK-ryonbongExtract", "NK-aerocaribbeanExtract"]
    pugang = entries["NK-pugangExtract"]
    assert pugang.un_reference == "KPe.038"
    assert pugang.programs == "UN-SC1718;US-NPWMD"
    assert ("부강무역회사", "alias") in pugang.aliases
    assert pugang.listed_on is None  # first_seen is when OpenSanctions saw it, not the listing date
    assert entries["NK-ryonbongExtract"].dprk_related
    assert not entries["NK-aerocaribbeanExtract"].dprk_related


# -- DuckDB ----------------------------------------------------------------------------------------------


def test_import_each_format_into_the_database(tmp_path):
    db = Database(tmp_path / "m.duckdb")
    with db.session() as con:
        ofac = import_list(con, FIXTURES / "sdn.csv")
        un = import_list(con, FIXTURES / "consolidated.xml")
        os_ftm = import_list(con, FIXTURES / "opensanctions.ftm.json")

        assert (ofac["entities"], ofac["aliases"], ofac["dprk_related"]) == (6, 5, 3)
        assert (un["entities"], un["aliases"], un["dprk_related"]) == (5, 9, 3)
        assert (os_ftm["entities"], os_ftm["dprk_related"]) == (3, 2)

        assert rows(con, "SELECT name, programs, ofac_ent_num, dprk_related, entity_type FROM sanctions_entities "
                         "WHERE list_source = 'ofac_sdn' AND source_id = '9524'") == [
            ("KOREA PUGANG TRADING CORPORATION", "NPWMD", "9524", True, "entity")]
        assert rows(con, "SELECT name, un_reference, listed_on FROM sanctions_entities "
                         "WHERE list_source = 'un_sc' AND un_reference = 'KPe.038'") == [
            ("KOREA PUGANG TRADING CORPORATION", "KPe.038", "2016-11-30")]
        assert rows(con, "SELECT alias, alias_type FROM sanctions_aliases WHERE list_source = 'un_sc' "
                         "AND alias_type = 'original_script'") == [("عبدالخالق الحوثي", "original_script")]
        assert rows(con, "SELECT list_source, format, entity_count, alias_count FROM sanctions_imports "
                         "ORDER BY rowid") == [
            ("ofac_sdn", "ofac_sdn_csv", 6, 5), ("un_sc", "un_xml", 5, 9), ("opensanctions", "opensanctions_ftm", 3, 5)]
        sha = rows(con, "SELECT DISTINCT file_sha256 FROM sanctions_entities WHERE list_source = 'ofac_sdn'")
        assert len(sha) == 1 and len(sha[0][0]) == 64


def test_reimport_replaces_the_list_instead_of_duplicating(tmp_path):
    db = Database(tmp_path / "m.duckdb")
    with db.session() as con:
        import_list(con, FIXTURES / "sdn.csv")
        import_list(con, FIXTURES / "consolidated.xml")
        import_list(con, FIXTURES / "sdn.csv")
        assert rows(con, "SELECT list_source, count(*) FROM sanctions_entities GROUP BY 1 ORDER BY 1") == [
            ("ofac_sdn", 6), ("un_sc", 5)]
        assert rows(con, "SELECT count(*) FROM sanctions_aliases WHERE list_source = 'ofac_sdn'") == [(5,)]
        assert rows(con, "SELECT count(*) FROM sanctions_imports WHERE list_source = 'ofac_sdn'") == [(2,)]

        # A newer, smaller snapshot of the same list drops the entries it no longer has.
        smaller = tmp_path / "sdn.csv"
        smaller.write_bytes(b"\r\n".join((FIXTURES / "sdn.csv").read_bytes().split(b"\r\n")[:2]) + b"\r\n")
        summary = import_list(con, smaller, alt_path=tmp_path / "no-alt.csv")
        assert summary["entities"] == 2
        assert rows(con, "SELECT source_id FROM sanctions_entities WHERE list_source = 'ofac_sdn' ORDER BY 1") == [
            ("2674",), ("36",)]
        assert rows(con, "SELECT count(*) FROM sanctions_aliases WHERE list_source = 'ofac_sdn'") == [(0,)]
        assert rows(con, "SELECT count(*) FROM sanctions_entities WHERE list_source = 'un_sc'") == [(5,)]


def add_seller(con, seller_id: str, name: str, legal_name: str) -> None:
    con.execute("INSERT INTO sellers (marketplace, seller_id, name, legal_name) VALUES ('ozon', ?, ?, ?)",
                [seller_id, name, legal_name])


def add_listing(con, product_id: str, manufacturer: str | None, brand: str | None) -> None:
    con.execute(
        "INSERT INTO listing_observations (run_id, marketplace, product_id, listing_status, observed_at, "
        "manufacturer, brand) VALUES ('r1', 'wildberries', ?, 'listed', TIMESTAMP '2026-01-05 10:00:00', ?, ?)",
        [product_id, manufacturer, brand])


def test_known_sellers_manufacturers_and_brands_are_matched(tmp_path):
    db = Database(tmp_path / "m.duckdb")
    with db.session() as con:
        add_seller(con, "s1", "Пуган Маркет", 'ООО "Korea Pugang Trading Corp."')
        add_seller(con, "s2", "Ромашка", 'ООО "Ромашка"')
        add_seller(con, "s3", "Корея Пуган", "ИП Корея Пуган")
        add_seller(con, "s4", "Pugang Trade", "Korea Pugang Trade Company LLC")
        add_listing(con, "p1", "Korea Ryonbong General Corp.", "Кымдан")
        add_listing(con, "p2", "Pharmstandard", "Arbidol")

        summary = import_list(con, FIXTURES / "sdn.csv")
        found = rows(con, "SELECT subject_type, seller_id, subject_value, list_source, source_id, entity_name, "
                          "matched_name, score, method FROM sanctions_matches ORDER BY subject_type, seller_id")
        assert summary["matches"] == len(found) == 3
        assert found == [
            ("manufacturer", None, "Korea Ryonbong General Corp.", "ofac_sdn", "9347",
             "KOREA RYONBONG GENERAL CORPORATION", "korea ryonbong general", 100.0, "exact"),
            # legal forms and quotes are dropped before comparing, so this is an exact match
            ("seller", "s1", 'ООО "Korea Pugang Trading Corp."', "ofac_sdn", "9524",
             "KOREA PUGANG TRADING CORPORATION", "korea pugang trading", 100.0, "exact"),
            # one word differs: rapidfuzz token_sort_ratio 89.5, above the 88 recording threshold
            ("seller", "s4", "Korea Pugang Trade Company LLC", "ofac_sdn", "9524",
             "KOREA PUGANG TRADING CORPORATION", "korea pugang trading", 89.5, "fuzzy"),
        ]
        # Not matched: an unrelated seller, and the Cyrillic "Корея Пуган" -- the lists carry Latin (and Korean)
        # names only and the matcher does not transliterate, so Russian spellings need entities.toml aliases.
        assert rows(con, "SELECT count(*) FROM sanctions_matches WHERE seller_id IN ('s2', 's3')") == [(0,)]

        # Importing a second list re-matches everything against both lists.
        import_list(con, FIXTURES / "consolidated.xml")
        assert rows(con, "SELECT list_source, source_id FROM sanctions_matches WHERE seller_id = 's1' "
                         "ORDER BY 1") == [("ofac_sdn", "9524"), ("un_sc", "6908561")]


def test_a_failed_import_leaves_the_previous_list(tmp_path):
    db = Database(tmp_path / "m.duckdb")
    with db.session() as con:
        import_list(con, FIXTURES / "sdn.csv")
        with pytest.raises(UnknownFormat):
            import_list(con, FIXTURES / "README.md")
        broken = tmp_path / "consolidated.xml"
        broken.write_text("<CONSOLIDATED_LIST><ENTITIES><ENTITY>", encoding="utf-8")
        with pytest.raises(Exception, match="no element found"):
            import_list(con, broken)
        assert rows(con, "SELECT list_source, count(*) FROM sanctions_entities GROUP BY 1") == [("ofac_sdn", 6)]


def test_an_import_failing_after_its_writes_is_rolled_back(tmp_path, monkeypatch):
    """The entries are replaced and re-matched in one transaction: a failure after the new list was written
    (here in the matching) leaves the previous list and its matches as they were."""
    db = Database(tmp_path / "m.duckdb")
    with db.session() as con:
        import_list(con, FIXTURES / "sdn.csv")
        before = rows(con, "SELECT list_source, source_id, name FROM sanctions_entities ORDER BY ALL")

        def fails(*args, **kwargs):
            raise RuntimeError("matching failed")

        monkeypatch.setattr(sanctions, "match_known_parties", fails)
        with pytest.raises(RuntimeError, match="matching failed"):
            import_list(con, FIXTURES / "consolidated.xml")
        assert rows(con, "SELECT list_source, source_id, name FROM sanctions_entities ORDER BY ALL") == before
        assert rows(con, "SELECT count(*) FROM sanctions_imports") == [(1,)]


def test_full_size_sdn_list_is_stored_whole(tmp_path):
    """The real SDN list has ~18k entries: all of them stored, aliases too, programs split."""
    n = 18_000
    sdn = tmp_path / "sdn.csv"
    alt = tmp_path / "alt.csv"
    null7 = "-0- ," * 7
    sdn.write_bytes("".join(
        f'{i},"TEST ENTITY {i} TRADING CORPORATION",-0- ,"SDGT] [NPWMD",{null7}"Remark {i}."\r\n'
        for i in range(1, n + 1)).encode() + b"\x1a\r\n")
    alt.write_bytes("".join(f'{i},{i + 100000},"aka","TEST ALIAS {i}",-0- \r\n' for i in range(1, n + 1)).encode())
    db = Database(tmp_path / "m.duckdb")
    with db.session() as con:
        summary = import_list(con, sdn)
        assert (summary["entities"], summary["aliases"]) == (n, n)
        assert rows(con, "SELECT count(*), count(DISTINCT source_id) FROM sanctions_entities") == [(n, n)]
        assert rows(con, "SELECT programs FROM sanctions_entities WHERE source_id = '17999'") == [("SDGT;NPWMD",)]


# -- the scrapy command ------------------------------------------------------------------------------


def run_command(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCRAPY), "import_sanctions", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=300)


def test_command_imports_a_list_end_to_end(tmp_path):
    db_path = tmp_path / "x.duckdb"
    result = run_command("fixtures/classify/sanctions/sdn.csv", "--db", str(db_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == (
        f"imported 6 entries (5 aliases, 3 DPRK-related) from fixtures/classify/sanctions/sdn.csv as ofac_sdn "
        f"(ofac_sdn_csv) into {db_path}; 0 known seller/manufacturer/brand match(es) in sanctions_matches"
    )
    with Database(db_path).session(read_only=True) as con:
        assert rows(con, "SELECT source_id, name, programs, dprk_related FROM sanctions_entities "
                         "WHERE source_id IN ('9524', '36') ORDER BY source_id") == [
            ("36", "AEROCARIBBEAN AIRLINES", "CUBA", False),
            ("9524", "KOREA PUGANG TRADING CORPORATION", "NPWMD", True),
        ]
        assert rows(con, "SELECT count(*) FROM sanctions_aliases") == [(5,)]


def test_command_with_explicit_format_and_alt_file(tmp_path):
    db_path = tmp_path / "x.duckdb"
    result = run_command("fixtures/classify/sanctions/consolidated.xml", "--format", "un_xml", "--db", str(db_path))
    assert result.returncode == 0, result.stderr
    assert "imported 5 entries (9 aliases, 3 DPRK-related)" in result.stdout
    result = run_command("fixtures/classify/sanctions/sdn.csv", "fixtures/classify/sanctions/alt.csv",
                         "--db", str(db_path))
    assert result.returncode == 0, result.stderr
    with Database(db_path).session(read_only=True) as con:
        assert rows(con, "SELECT list_source, count(*) FROM sanctions_entities GROUP BY 1 ORDER BY 1") == [
            ("ofac_sdn", 6), ("un_sc", 5)]


def test_command_refuses_a_missing_or_unknown_file(tmp_path):
    db_path = tmp_path / "x.duckdb"
    missing = run_command(str(tmp_path / "nope.csv"), "--db", str(db_path))
    assert missing.returncode != 0
    assert f"list file {tmp_path / 'nope.csv'} does not exist" in missing.stderr
    unknown = run_command("fixtures/classify/sanctions/README.md", "--db", str(db_path))
    assert unknown.returncode != 0
    assert "not an OFAC sdn.csv, UN consolidated list XML" in unknown.stderr
    assert not db_path.exists()
