"""`scrapy crawl <spider>`: Scrapy's own command, with an exit code that says whether the run can be trusted.

Scrapy exits 0 whenever the crawler ran, even when nothing usable came back. This project command (found
through ``COMMANDS_MODULE``, so it replaces the built-in one) exits 1 when the run's status, as the
pipeline recorded it in the stats (``run/status``), is ``failed`` — the same rule as ``scrapy crawlall`` —
and prints the run id and its reasons on stderr. ``ok`` and ``degraded`` runs exit 0; a crawler that
failed to start exits 1 as in Scrapy. A watchlist that cannot be used (``WatchlistError``) is reported in one
line on stderr, naming the file and the product, and exits 1 before anything is crawled.
"""

from __future__ import annotations

import argparse
import sys

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

from marketplace_spiders.commands.watchlist_check import watchlist_problem
from marketplace_spiders.run_failures import run_status


class Command(ScrapyCrawlCommand):
    def short_desc(self) -> str:
        return "Run a spider of the current project, by name; exit 1 when its run is failed"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) < 1:
            raise UsageError
        if len(args) > 1:
            raise UsageError("running 'scrapy crawl' with more than one spider is not supported")
        assert self.crawler_process is not None
        crawler = self._create_crawler(args[0])
        problem = watchlist_problem(crawler.settings, opts.spargs)
        if problem:
            print(f"crawl: {args[0]}: {problem}", file=sys.stderr)
            self.exitcode = 1
            return
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = 1
        if run_status(crawler) == "failed":
            stats = crawler.stats
            assert stats is not None
            print(f"crawl: run {stats.get_value('run/id')} failed: {stats.get_value('run/status_reasons') or ''}",
                  file=sys.stderr)
            self.exitcode = 1
