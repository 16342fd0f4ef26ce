"""`scrapy ingest`: load runs left staged (database locked at the end of a crawl, or a crash)."""

from __future__ import annotations

import argparse

from scrapy.commands import ScrapyCommand

from marketplace_spiders.storage.database import Database, staging_root_for


class Command(ScrapyCommand):
    requires_project = True
    default_settings = {"LOG_LEVEL": "INFO"}

    def short_desc(self) -> str:
        return "Ingest staged runs into the DuckDB file (DUCKDB_PATH)"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        database = Database(self.settings["DUCKDB_PATH"], lock_timeout=self.settings.getfloat("DUCKDB_LOCK_TIMEOUT"),
                            memory_limit=self.settings.get("DUCKDB_INGEST_MEMORY_LIMIT"),
                            refresh_memory_limit=self.settings.get("DUCKDB_REFRESH_MEMORY_LIMIT"))
        ingested = database.ingest_pending(staging_root_for(database.path))
        print(f"ingested {len(ingested)} run(s) into {database.path}: {', '.join(ingested) or '-'}")
