"""`scrapy ingest`: load runs left staged (database locked at the end of a crawl, a full disk, a crash)."""

from __future__ import annotations

import argparse

import duckdb
from scrapy.commands import ScrapyCommand

from marketplace_spiders.storage.database import Database, DatabaseLocked, staging_root_for


class Command(ScrapyCommand):
    requires_project = True
    default_settings = {"LOG_LEVEL": "INFO"}

    def short_desc(self) -> str:
        return "Ingest staged runs into the DuckDB file (DUCKDB_PATH)"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        database = Database.from_settings(self.settings)
        try:
            ingested = database.ingest_pending(staging_root_for(database.path))
        except (DatabaseLocked, OSError, duckdb.Error) as exc:
            # the runs stay staged; nothing is lost, and the exit code says the ingest did not happen
            print(f"ingest into {database.path} failed: {type(exc).__name__}: {exc} (runs stay staged)")
            self.exitcode = 1
            return
        print(f"ingested {len(ingested)} run(s) into {database.path}: {', '.join(ingested) or '-'}")
