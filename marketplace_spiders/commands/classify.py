"""`scrapy classify`: classify listings given as JSON lines on stdin, one JSON line per listing on stdout.

    .venv/bin/scrapy classify < listings.jsonl > classified.jsonl
    .venv/bin/scrapy classify --db data/marketplace.duckdb < listings.jsonl   # also match imported sanctions lists
    .venv/bin/scrapy classify --db data/marketplace.duckdb --rebuild          # classify the stored history again

Input fields (any may be missing): marketplace, product_id, title, description, characteristics (object
name -> value, or a string), country_of_origin, manufacturer, brand, seller_legal_name, seller_inn, seller_ogrn.
Output: the input's marketplace and product_id plus verdict, reasons, products, origin_signals,
counter_signals, claims (category, text, illegal_for_bad, field), entities and classifier_version.
A line that is not a JSON object gives {"line": n, "error": "..."}.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from marketplace_spiders.classify.engine import Classifier
from marketplace_spiders.classify.history import rebuild_classifications
from marketplace_spiders.classify.sanctions import load_sanctioned_parties
from marketplace_spiders.storage.database import Database


def classify_lines(lines: Iterable[str], out: TextIO, classifier: Classifier) -> int:
    """Classify JSON lines from ``lines`` into ``out``; returns the number of listings classified."""
    count = 0
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            listing = json.loads(line)
            if not isinstance(listing, dict):
                raise ValueError("not a JSON object")
        except ValueError as exc:
            out.write(json.dumps({"line": number, "error": str(exc)}) + "\n")
            continue
        out.write(json.dumps(classifier.classify(listing), ensure_ascii=False, default=str) + "\n")
        count += 1
    out.flush()
    return count


def classifier_for(db_path: str | None, settings: Any = None) -> Classifier:
    """A classifier with the sanctions lists imported into ``db_path`` (none when not given), opened with the
    storage ``settings`` (DUCKDB_LOCK_TIMEOUT, memory limits; ``Database.from_settings``)."""
    if not db_path:
        return Classifier()
    with Database.from_settings(settings, path=db_path).session() as con:
        return Classifier(sanctioned_parties=load_sanctioned_parties(con))


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False  # no crawl: no reactor, no Scrapy start-up banner on stderr
    default_settings = {"LOG_LEVEL": "WARNING"}

    def syntax(self) -> str:
        return "[--db DUCKDB_PATH] < listings.jsonl"

    def short_desc(self) -> str:
        return "Classify listings (JSON lines on stdin): DPRK products, origin, claims, entities, verdict"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--db", dest="db", default=None,
                            help="DuckDB file whose imported sanctions lists are matched too")
        parser.add_argument("--rebuild", action="store_true",
                            help="classify the whole history in --db again with the current rules (after a data edit)"
                                 " instead of reading stdin")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if opts.rebuild:
            if not opts.db or not Path(opts.db).exists():
                raise UsageError("--rebuild needs --db with an existing database")
            assert self.settings is not None
            database = Database.from_settings(self.settings, path=opts.db)
            with database.session() as con:
                done = rebuild_classifications(con)
                database.refresh_bounded(con)  # current_listings carries the verdicts
            print(f"classified {done['text_versions']} text version(s) of {done['runs']} run(s) in {opts.db}")
            return
        if opts.db and not Path(opts.db).exists():
            raise UsageError(f"--db {opts.db} does not exist (a typo would silently drop the imported lists)")
        classifier = classifier_for(opts.db, self.settings)
        classify_lines(sys.stdin, sys.stdout, classifier)
