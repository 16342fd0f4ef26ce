"""Run the SQL files of ``analysis/sql`` with named parameters, never string-formatted SQL."""

from __future__ import annotations

import re
from importlib import resources
from typing import Any

import duckdb
import pyarrow as pa

PARAMETER = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")

# Views the analysis needs, in the order their files create them.
ANALYSIS_VIEWS = (
    "crawl_run_sequence",
    "listing_keys",
    "listing_states",
    "listing_run_checks",
    "current_listings_live",
    "price_changes_live",
    "availability_spells_live",
    "seller_activity",
    "run_coverage",
)
# Views materialised as tables at every ingest (storage/queries/refresh_analysis.sql).
MATERIALISED = ("current_listings", "price_changes", "availability_spells")


def sql_text(name: str) -> str:
    """The text of ``analysis/sql/<name>.sql``."""
    return resources.files("analysis").joinpath(f"sql/{name}.sql").read_text("utf-8")


def parameters_of(sql: str) -> set[str]:
    """Named parameters ($name) a query uses, ignoring comments."""
    code = "\n".join(line.split("--", 1)[0] for line in sql.splitlines())
    return set(PARAMETER.findall(code))


def run_sql(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> pa.Table:
    """Run one query, passing only the parameters it uses (DuckDB rejects unused ones)."""
    used = parameters_of(sql)
    missing = used - params.keys()
    if missing:
        raise KeyError(f"query needs parameters {sorted(missing)}")
    return con.sql(sql, params={k: params[k] for k in used}).to_arrow_table()


def run_file(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any]) -> pa.Table:
    return run_sql(con, sql_text(name), params)


def relation_exists(con: duckdb.DuckDBPyConnection, name: str, tables_only: bool = False) -> bool:
    return bool(con.execute(sql_text("relation_exists"), {"name": name, "tables_only": tables_only}).fetchall())


def columns_of(con: duckdb.DuckDBPyConnection, name: str) -> list[str]:
    return [r[0] for r in con.execute(f"DESCRIBE {_identifier(name)}").fetchall()]


def _identifier(name: str) -> str:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise ValueError(f"not a plain identifier: {name!r}")
    return name


def ensure_analysis_views(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Create missing analysis views as TEMP views, and TEMP views over the *_live views for missing
    materialised tables (for a read-only database last written before they existed). Returns the names
    created."""
    created = []
    views = resources.files("marketplace_spiders.storage") / "views"
    files = sorted(p for p in views.iterdir() if p.name.endswith(".sql"))
    if all(relation_exists(con, v) for v in ANALYSIS_VIEWS + MATERIALISED):
        return created
    for path in files:
        sql = path.read_text("utf-8")
        if not any(f"CREATE OR REPLACE VIEW {view} AS" in sql for view in ANALYSIS_VIEWS):
            continue
        temp_sql = sql.replace("CREATE OR REPLACE VIEW", "CREATE OR REPLACE TEMP VIEW", 1)
        con.execute(temp_sql).fetchall()
        created.append(path.name)
    for name in MATERIALISED:
        if not relation_exists(con, name):
            con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM {name}_live").fetchall()
            created.append(name)
    return created
