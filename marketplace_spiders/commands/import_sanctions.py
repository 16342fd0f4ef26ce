"""`scrapy import_sanctions <file> [alt.csv]`: load an official sanctions list into DuckDB and match known
sellers, manufacturers and brands against it.

    .venv/bin/scrapy import_sanctions sdn.csv                       # OFAC (alt.csv beside it is read too)
    .venv/bin/scrapy import_sanctions consolidated.xml --format un_xml
    .venv/bin/scrapy import_sanctions entities.ftm.json --db data/marketplace.duckdb
    .venv/bin/scrapy import_sanctions targets.simple.csv -s DUCKDB_PATH=data/marketplace.duckdb

Formats: ofac_sdn_csv, un_xml, opensanctions_ftm, opensanctions_csv (detected from the file when not given).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from marketplace_spiders.classify.history import rebuild_classifications
from marketplace_spiders.classify.sanctions import FORMATS, UnknownFormat, detect_format, import_list
from marketplace_spiders.storage.database import Database


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False  # no crawl: no reactor, no Scrapy start-up banner on stderr
    default_settings = {"LOG_LEVEL": "WARNING"}

    def syntax(self) -> str:
        return "<list file> [alt.csv] [--format FORMAT] [--db DUCKDB_PATH]"

    def short_desc(self) -> str:
        return "Import an OFAC / UN / OpenSanctions list into DuckDB and match sellers, manufacturers, brands"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--format", dest="list_format", choices=FORMATS, default=None,
                            help="list format (default: detected from the file)")
        parser.add_argument("--db", dest="db", default=None, help="DuckDB file (default: the DUCKDB_PATH setting)")
        parser.add_argument("--no-reclassify", dest="reclassify", action="store_false",
                            help="do not classify the stored history again with the new list (entity_matches)")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if not args or len(args) > 2:
            raise UsageError("give the list file (and, for OFAC, optionally alt.csv)")
        path = Path(args[0])
        if not path.is_file():
            raise UsageError(f"list file {path} does not exist")
        alt_path = Path(args[1]) if len(args) == 2 else None
        if alt_path is not None and not alt_path.is_file():
            raise UsageError(f"alias file {alt_path} does not exist")
        try:
            list_format = opts.list_format or detect_format(path)
        except UnknownFormat as exc:
            raise UsageError(str(exc)) from exc
        if alt_path is not None and list_format != "ofac_sdn_csv":
            raise UsageError("a second file (alt.csv) only goes with an OFAC sdn.csv")
        assert self.settings is not None
        database = Database.from_settings(self.settings, path=opts.db)
        db_path = database.path
        with database.session() as con:
            summary = import_list(con, path, list_format, alt_path)
            rebuilt = rebuild_classifications(con) if opts.reclassify else None
            if rebuilt is not None:
                database.refresh_bounded(con)  # current_listings carries the verdicts
        print(f"imported {summary['entities']} entries ({summary['aliases']} aliases, {summary['dprk_related']} "
              f"DPRK-related) from {path} as {summary['list_source']} ({summary['format']}) into {db_path}; "
              f"{summary['matches']} known seller/manufacturer/brand match(es) in sanctions_matches")
        if rebuilt is not None:
            print(f"classified {rebuilt['text_versions']} text version(s) of {rebuilt['runs']} run(s) again: "
                  "entity_matches now include this list")
