"""Ingest one staged run in a separate process: `python -m marketplace_spiders.storage.ingest_process`.

The crawl process runs this when the spider closes, so DuckDB's memory for the ingest is never added to
the crawler's own (measured on a 30,000-product replay: ~80 MB less peak RSS in the crawl process).
Exit codes: 0 ingested (or already there), 3 the database stayed locked (the run stays staged).
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from marketplace_spiders.storage.database import REFRESH_MEMORY_LIMIT, Database, DatabaseLocked

EXIT_LOCKED = 3


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
    try:
        Database(args.db, lock_timeout=args.lock_timeout, memory_limit=args.memory_limit,
                 refresh_memory_limit=args.refresh_memory_limit).ingest_run(args.run_dir)
    except DatabaseLocked as exc:
        logging.getLogger(__name__).warning("%s", exc)
        return EXIT_LOCKED
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
