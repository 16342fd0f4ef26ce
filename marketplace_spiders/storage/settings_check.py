"""Checks of the storage settings, done when a ``Database`` is built (before any crawl), and the one way a
memory limit reaches DuckDB (a bound parameter, never text pasted into SQL)."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

# DuckDB memory_limit of the analysis refresh (DuckDB spills to disk beyond it). Measured on this machine
# (README, Benchmarks): a 9-million-observation refresh took 9.4 s at 1,582 MB peak RSS without a limit,
# 14.6 s at 420 MB with 300MB; the ingest child of a 200,000-listing first run peaked at 758 MB without,
# 551 MB with it. Some steps cannot spill: when DuckDB runs out of memory under the limit, the refresh is
# retried with twice the limit (three tries), then without one.
REFRESH_MEMORY_LIMIT = "300MB"
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]i?B)\s*$", re.IGNORECASE)
# Names DuckDB reads as "no file": an in-memory database, which would lose every run when the process exits.
_NOT_A_FILE = re.compile(r"^(?::memory:.*|memory:.*|md:.*|motherduck:.*|\s*)$", re.IGNORECASE)


def _duckdb_spelling(limit: str) -> str | None:
    """How DuckDB itself reads ``limit`` ('2G' -> '1.8 GiB'), None when DuckDB refuses it. The value is bound,
    so no text of it ever becomes SQL."""
    with duckdb.connect(":memory:") as con:
        try:
            con.execute("SET memory_limit = ?", [limit])
        except duckdb.Error:
            return None
        return str(con.execute("SELECT current_setting('memory_limit')").fetchone()[0])


def megabytes(limit: str) -> float:
    """Megabytes of a DuckDB memory size: '300MB' -> 300.0, '1GiB' -> 1073.74 (KB… are powers of 1000, KiB… of
    1024, as in DuckDB); other spellings DuckDB accepts ('2G', '2 gigabytes') are read as DuckDB reads them.
    Anything else (a quote, a percentage, a bare number) is a ValueError."""
    found = _SIZE.match(limit)
    if not found:
        spelled = _duckdb_spelling(limit) if "'" not in limit else None
        found = _SIZE.match(spelled) if spelled else None
    if not found:
        raise ValueError(f"not a memory size like '300MB' or '1GiB': {limit!r}")
    unit = found[2].upper()
    power = "KMGT".index(unit[0]) + 1
    scale = (1024 if "I" in unit else 1000) ** power
    return float(found[1]) * scale / 1e6


def checked_memory_limit(limit: str | None, setting: str) -> str | None:
    """``limit`` when it is a memory size DuckDB accepts ('256MB', '1.5 GiB', '2G'), None when empty; a
    ValueError naming the setting otherwise."""
    if limit is None or not str(limit).strip():
        return None
    try:
        megabytes(str(limit))
    except ValueError as exc:
        raise ValueError(f"{setting}: {exc}") from None
    return str(limit).strip()


def checked_database_path(path: str | Path) -> Path:
    """The database file path; ``:memory:`` (or an empty path, ``md:``…) is refused: runs must outlive the
    process that crawled them."""
    text = str(path)
    if _NOT_A_FILE.match(text):
        raise ValueError(f"DUCKDB_PATH must name a database file, not {text!r}: an in-memory database loses every "
                         "run when the crawl process exits")
    return Path(text)


def set_memory_limit(con: duckdb.DuckDBPyConnection, limit: str) -> None:
    """``SET memory_limit`` with the value bound as a parameter."""
    con.execute("SET memory_limit = ?", [limit])
