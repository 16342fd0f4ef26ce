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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, type=Path)
    parser.add_argument("--run-dir", required=True, type=Path)
    parser.add_argument("--lock-timeout", type=float, default=60.0)
    parser.add_argument("--memory-limit", default=None, help="DuckDB memory_limit of the ingest (e.g. 256MB)")
    parser.add_argument("--refresh-memory-limit", default=REFRESH_MEMORY_LIMIT,
                        help=f"DuckDB memory_limit of the analysis refresh ('' = none; default {REFRESH_MEMORY_LIMIT})")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s [%(name)s] %(levelname)s: %(message)s")
    log = logging.getLogger(__name__)
    try:
        database = Database(args.db, lock_timeout=args.lock_timeout, memory_limit=args.memory_limit,
                            refresh_memory_limit=args.refresh_memory_limit)
        database.ingest_run(args.run_dir)
    except DatabaseLocked as exc:
        log.warning("%s", exc)
        return EXIT_LOCKED
    except (OSError, duckdb.Error, ValueError) as exc:
        log.error("ingest of %s into %s failed: %s: %s (the run stays staged)", args.run_dir, args.db,
                  type(exc).__name__, exc)
        return EXIT_FAILED
    if database.last_duplicate_of:
        return EXIT_DUPLICATE
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
