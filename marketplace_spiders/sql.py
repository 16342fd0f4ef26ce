"""DuckDB helpers every layer uses: transactions, batched appends and SQL files loaded by name.

A leaf module (it imports nothing of this project), so the classifier's history (``classify/``) and the
storage layer (``storage/``) can both use it without importing each other.

The project's SQL lives in ``.sql`` files under ``marketplace_spiders/storage/``: ``schema/`` (migrations,
applied once each in name order), ``views/`` (one view per file, recreated at every connection),
``queries/`` (statements the code runs, loaded by name with ``query``) and ``checks/`` (``assert_*.sql``
data checks that must return no rows). The analysis report's queries are in ``analysis/sql/``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from importlib import resources

import duckdb
import pyarrow as pa

SQL_PACKAGE = "marketplace_spiders.storage"


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """BEGIN … COMMIT around the block, ROLLBACK (and re-raise) when it fails."""
    con.execute("BEGIN")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")  # a failed COMMIT is rolled back by DuckDB itself, and raises here


def append_rows(con: duckdb.DuckDBPyConnection, table: str, columns: Sequence[str], rows: Sequence[Sequence]) -> None:
    """Insert ``rows`` (tuples in ``columns`` order) into ``table`` in one statement, through an Arrow table
    typed like the target columns (so all-NULL columns keep their type). Never row by row."""
    if not rows:
        return
    schema = con.sql(f"SELECT {', '.join(columns)} FROM {table} LIMIT 0").to_arrow_table().schema
    arrays = [pa.array([r[i] for r in rows], type=schema.field(i).type) for i in range(len(columns))]
    view = f"{table}_batch"
    con.register(view, pa.Table.from_arrays(arrays, schema=schema))
    try:
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM {view}")
    finally:
        con.unregister(view)


@cache
def query(name: str) -> str:
    """The text of ``storage/queries/<name>.sql``; a missing file is a FileNotFoundError naming it."""
    path = resources.files(SQL_PACKAGE) / "queries" / f"{name}.sql"
    if not path.is_file():
        raise FileNotFoundError(f"no SQL file queries/{name}.sql in {SQL_PACKAGE}")
    return path.read_text("utf-8")


def sql_files(folder: str, prefix: str = "") -> list[tuple[str, str]]:
    """(file name, text) of every ``<folder>/<prefix>*.sql`` of the storage package, in name order."""
    root = resources.files(SQL_PACKAGE) / folder
    if not root.is_dir():
        return []
    return sorted((p.name, p.read_text(encoding="utf-8")) for p in root.iterdir()
                  if p.name.endswith(".sql") and p.name.startswith(prefix))


def statements(sql: str) -> list[str]:
    """Split a file of ';'-terminated statements (no ';' inside string literals); comment-only parts dropped."""
    return [s.strip() for s in sql.split(";") if s.strip() and not all(
        line.strip().startswith("--") or not line.strip() for line in s.strip().splitlines())]
