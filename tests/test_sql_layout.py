"""Where the SQL lives: one view per file named for it, every query the code loads by name exists, and the golden
fingerprint of the demo database normalises only what differs between builds."""

from __future__ import annotations

import ast
import datetime as dt
import re

import duckdb
import pytest
from sample_files import ROOT

from analysis import demo_fingerprint
from marketplace_spiders import sql

VIEW = re.compile(r"CREATE\s+OR\s+REPLACE\s+VIEW\s+([A-Za-z_][A-Za-z0-9_]*)", re.IGNORECASE)


@pytest.mark.parametrize("name", [name for name, _ in sql.sql_files("views")])
def test_a_view_file_creates_one_view_named_like_the_file(name: str) -> None:
    text = dict(sql.sql_files("views"))[name]
    code = "\n".join(line.split("--", 1)[0] for line in text.splitlines())
    views = VIEW.findall(code)
    assert views == [re.sub(r"^\d+_", "", name.removesuffix(".sql"))], f"{name} creates {views}"


def _loaded_query_names() -> set[str]:
    """Every literal name passed to ``query(...)`` in marketplace_spiders/ and analysis/."""
    names = set()
    for folder in ("marketplace_spiders", "analysis"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text("utf-8"))):
                if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "query" and node.args \
                        and isinstance(node.args[0], ast.Constant):
                    names.add(node.args[0].value)
    return names


def test_every_query_loaded_by_name_has_its_file() -> None:
    names = _loaded_query_names()
    assert {"insert_crawl_run", "classify_stage_input", "sanctioned_parties"} <= names  # the scan is real
    for name in sorted(names):
        assert sql.query(name).strip(), name


def test_a_query_name_without_a_file_is_an_error_naming_it() -> None:
    with pytest.raises(FileNotFoundError, match="queries/no_such_query.sql"):
        sql.query("no_such_query")


def test_the_classifier_staging_query_is_one_statement() -> None:
    """classify_stage_input.sql is run with one execute and bound $run_id: no second statement hides in it."""
    assert len(sql.statements(sql.query("classify_stage_input"))) == 1


def _tiny_db(path, run_id: str, ingested_at: dt.datetime) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE crawl_runs (run_id VARCHAR, marketplace VARCHAR, started_at TIMESTAMP, "
                    "ingested_at TIMESTAMP)")
        con.execute("CREATE TABLE notes (run_ref VARCHAR, details JSON, noted_at TIMESTAMP)")
        con.execute("INSERT INTO crawl_runs VALUES (?, 'ozon', '2026-11-02 07:00', ?)", [run_id, ingested_at])
        con.execute("INSERT INTO notes VALUES (?, ?, '2026-11-02 07:00')", [run_id, f'{{"run": "{run_id}"}}'])


def test_run_ids_and_build_times_are_normalised_wherever_they_are(tmp_path) -> None:
    """Two builds differ in their run-id suffixes and ingest times, in any column and inside JSON: same print."""
    window = demo_fingerprint.BuildWindow()
    _tiny_db(tmp_path / "a.duckdb", "ozon-20261102T070000Z-9bf70dc7", dt.datetime.now(dt.UTC).replace(tzinfo=None))
    _tiny_db(tmp_path / "b.duckdb", "ozon-20261102T070000Z-11111111", dt.datetime.now(dt.UTC).replace(tzinfo=None))
    window.close()
    first = demo_fingerprint.fingerprint(tmp_path / "a.duckdb", window)
    assert first == demo_fingerprint.fingerprint(tmp_path / "b.duckdb", window)
    normaliser = demo_fingerprint.Normaliser({"r-1": "<run:ozon:1>"}, window)
    assert normaliser.value('{"run": "r-1"}') == '{"run": "<run:ozon:1>"}'


def test_a_changed_recorded_value_changes_the_fingerprint_of_its_table_only(tmp_path) -> None:
    window = demo_fingerprint.BuildWindow()
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    _tiny_db(tmp_path / "a.duckdb", "ozon-20261102T070000Z-9bf70dc7", now)
    _tiny_db(tmp_path / "b.duckdb", "ozon-20261102T070000Z-9bf70dc7", now)
    window.close()
    with duckdb.connect(str(tmp_path / "b.duckdb")) as con:
        con.execute("UPDATE notes SET noted_at = '2026-11-02 07:00:01'")  # a recorded time, outside the build window
    differences = demo_fingerprint.differences(demo_fingerprint.fingerprint(tmp_path / "a.duckdb", window),
                                               demo_fingerprint.fingerprint(tmp_path / "b.duckdb", window))
    assert differences == ["notes: same rows count, different row contents"]
