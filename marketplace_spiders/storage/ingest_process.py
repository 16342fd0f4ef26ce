"""Ingest one staged run in a separate process: `python -m marketplace_spiders.storage.ingest_process`.

The crawl process runs this when the spider closes, so DuckDB's memory for the ingest is never added to
the crawler's own (measured on a 30,000-product replay: ~80 MB less peak RSS in the crawl process).
Exit codes: 0 ingested (or already there), 3 the database stayed locked (the run stays staged),
4 not ingested because its recording was already ingested (a replay of the same recording: nothing doubled),
1 any other failure, e.g. a full disk or an unreadable database (the run stays staged; the error is logged).
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import duckdb

from marketplace_spiders.storage.database import REFRESH_MEMORY_LIMIT, Database, DatabaseLocked

EXIT_FAILED = 1
EXIT_LOCKED = 3
EXIT_DUPLICATE = 4


def settings_from_args(args: argparse.Namespace) -> dict[str, str]:
    """The storage settings the child was given: every ``-s NAME=VALUE``, then the older options (``--db``…),
    which win over a ``-s`` of the same setting. Absent ones fall back to the environment and the defaults
    in ``Database.from_settings``, as in the crawl."""
    settings: dict[str, str] = {}
    for pair in args.settings:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise SystemExit(f"-s expects NAME=VALUE, got {pair!r}")
        settings[name.strip()] = value
    options = {"DUCKDB_PATH": args.db, "DUCKDB_LOCK_TIMEOUT": args.lock_timeout,
               "DUCKDB_INGEST_MEMORY_LIMIT": args.memory_limit,
               "DUCKDB_REFRESH_MEMORY_LIMIT": args.refresh_memory_limit}
    settings.update({name: str(value) for name, value in options.items() if value is not None})
    return settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run-dir", required=True, type=Path)
    parser.add_argument("-s", "--set", dest="settings", action="append", default=[], metavar="NAME=VALUE",
                        help="a storage setting (DUCKDB_PATH, DUCKDB_LOCK_TIMEOUT, DUCKDB_*_MEMORY_LIMIT), as for "
                             "scrapy; the crawl passes all of them")
    parser.add_argument("--db", default=None, help="= -s DUCKDB_PATH=…")
    parser.add_argument("--lock-timeout", default=None, help="= -s DUCKDB_LOCK_TIMEOUT=…")
    parser.add_argument("--memory-limit", default=None, help="= -s DUCKDB_INGEST_MEMORY_LIMIT=… (e.g. 256MB)")
    parser.add_argument("--refresh-memory-limit", default=None,
                        help=f"= -s DUCKDB_REFRESH_MEMORY_LIMIT=… ('' = none; default {REFRESH_MEMORY_LIMIT})")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s [%(name)s] %(levelname)s: %(message)s")
    log = logging.getLogger(__name__)
    try:
        database = Database.from_settings(settings_from_args(args))
    except ValueError as exc:  # a bad setting (SettingError names it) or ':memory:'
        log.error("ingest of %s not started: %s (the run stays staged)", args.run_dir, exc)
        return EXIT_FAILED
    try:
        database.ingest_run(args.run_dir)
    except DatabaseLocked as exc:
        log.warning("%s", exc)
        return EXIT_LOCKED
    except (OSError, duckdb.Error, ValueError) as exc:
        log.error("ingest of %s into %s failed: %s: %s (the run stays staged)", args.run_dir, database.path,
                  type(exc).__name__, exc)
        return EXIT_FAILED
    if database.last_duplicate_of:
        return EXIT_DUPLICATE
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
