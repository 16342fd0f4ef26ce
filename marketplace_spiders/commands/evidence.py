"""`scrapy evidence package|verify|export|du|prune`: the evidence archive's commands (issue #13).

    .venv/bin/scrapy evidence package --run RUN_ID [--db data/marketplace.duckdb]   # WACZ + sidecar + tokens
    .venv/bin/scrapy evidence package --all-unpackaged                              # every run with loose WARCs
    .venv/bin/scrapy evidence verify <run folder | RUN.wacz | bundle folder> [--tsa-roots roots.pem]
    .venv/bin/scrapy evidence export --marketplace M --product-id P [--since D] [--until D] --out DIR
    .venv/bin/scrapy evidence du [--db PATH]  /  .venv/bin/scrapy evidence prune [--db PATH] [--dry-run]

Each subcommand is ``marketplace_spiders.evidence.<module>.main(opts)`` (its exit code is the command's), imported
only when it runs, so a command that needs a module that is not installed says so instead of breaking the others.
"""

from __future__ import annotations

import argparse
import importlib

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

# du and prune share disk.py; package (package_command.py) joins the run folders with crawl_runs through it
MODULES = {"package": "package_command", "verify": "verify", "export": "export", "du": "disk", "prune": "disk"}


def _subcommands(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="evidence_command", metavar="{package,verify,export,du,prune}")
    package = sub.add_parser("package", help="package (and sign) a run's WARC files as WACZ")
    which = package.add_mutually_exclusive_group(required=True)
    which.add_argument("--run", help="the run id to package")
    which.add_argument("--all-unpackaged", action="store_true",
                       help="every finished run (in the database, or staged with run.json) that still has loose WARC "
                            "files; a folder whose crawl may still be writing is skipped")
    verify = sub.add_parser("verify", help="recompute every digest and check every timestamp token")
    verify.add_argument("path", help="a run folder, a .wacz, or an export bundle folder")
    verify.add_argument("--tsa-roots", default=None,
                        help="PEM file of trusted TSA root certificates (default EVIDENCE_TSA_ROOTS)")
    export = sub.add_parser("export", help="one listing's evidence bundle (WACZ, manifest, tokens, dossier)")
    export.add_argument("--marketplace", required=True)
    export.add_argument("--product-id", required=True)
    export.add_argument("--since", default=None)
    export.add_argument("--until", default=None)
    export.add_argument("--out", required=True)
    sub.add_parser("du", help="archive size per marketplace and run")
    prune = sub.add_parser("prune", help="delete what EVIDENCE_KEEP_SCREENSHOTS_DAYS / EVIDENCE_KEEP_EMPTY_RUNS_DAYS "
                           "allow (never a run with rows); each deletion goes to <evidence root>/prune.log")
    prune.add_argument("--dry-run", action="store_true", help="say what would be deleted, delete nothing")
    for child in sub.choices.values():
        child.add_argument("--db", dest="db", default=None, help="DuckDB file (default DUCKDB_PATH)")
    for name in sub.choices:
        # `scrapy evidence prune -s EVIDENCE_KEEP_EMPTY_RUNS_DAYS=30`: a -s after the subcommand is parsed by the
        # subparser (Scrapy's own -s only sees the ones before it) and applied by Command.run
        # (evidence.disk.apply_settings); without this it was silently dropped
        sub.choices[name].add_argument("-s", "--set", dest="late_settings", action="append", default=argparse.SUPPRESS,
                                       metavar="NAME=VALUE", help="set a Scrapy setting (as before the subcommand)")


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False  # no crawl: no reactor, no Scrapy start-up banner on stderr
    default_settings = {"LOG_LEVEL": "WARNING"}

    def syntax(self) -> str:
        return "{package,verify,export,du,prune} [options]"

    def short_desc(self) -> str:
        return "Evidence archive: package and sign runs, verify packages and bundles, export, disk use"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        _subcommands(parser)

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        command = getattr(opts, "evidence_command", None)
        if not command:
            raise UsageError("name a subcommand: package, verify, export, du or prune")
        if args:  # Scrapy passes unknown words through: `prune --dryrun` must not prune
            raise UsageError(f"`evidence {command}`: unknown argument(s) {' '.join(args)}")
        module_name = f"marketplace_spiders.evidence.{MODULES[command]}"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            raise UsageError(f"`evidence {command}` is not available: {module_name} is not installed") from exc
        opts.settings = self.settings
        from marketplace_spiders.evidence.disk import apply_settings

        apply_settings(opts)
        self.exitcode = int(module.main(opts) or 0)
