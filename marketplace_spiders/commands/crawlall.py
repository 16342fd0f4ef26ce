"""`scrapy crawlall`: crawl every marketplace of the project in one process (the command cron runs).

A watchlist that cannot be used (``WatchlistError``) is reported in one line on stderr, naming the file and the
product, and exits 1 before any spider starts."""

from __future__ import annotations

import argparse
import sys

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from marketplace_spiders.commands.watchlist_check import watchlist_problem
from marketplace_spiders.run_failures import run_status


class Command(ScrapyCommand):
    requires_project = True

    def syntax(self) -> str:
        return "[options]"

    def short_desc(self) -> str:
        return "Run every marketplace spider (or --only some) and ingest each run into DuckDB"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--only", default="", help="comma-separated spider names (default: all)")
        parser.add_argument("-a", dest="spargs", action="append", default=[], metavar="NAME=VALUE",
                            help="spider argument passed to every spider (e.g. terms=...)")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.crawler_process is not None
        names = sorted(self.crawler_process.spider_loader.list())
        if opts.only:
            wanted = [n.strip() for n in opts.only.split(",") if n.strip()]
            unknown = sorted(set(wanted) - set(names))
            if unknown:
                raise UsageError(f"unknown spider(s): {', '.join(unknown)}; known: {', '.join(names)}")
            names = wanted
        spargs = dict(arg.split("=", 1) for arg in opts.spargs)
        crawlers = [self.crawler_process.create_crawler(name) for name in names]
        problem = next(filter(None, (watchlist_problem(crawler.settings, spargs) for crawler in crawlers)), None)
        if problem:
            print(f"crawlall: {problem}", file=sys.stderr)
            self.exitcode = 1
            return
        for crawler in crawlers:
            self.crawler_process.crawl(crawler, **spargs)
        self.crawler_process.start()
        failed = [crawler.spidercls.name for crawler in crawlers if run_status(crawler) not in ("ok", "degraded")]
        if failed:
            print(f"crawlall: failed run(s): {', '.join(failed)}")
            self.exitcode = 1

