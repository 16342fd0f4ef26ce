"""`scrapy reparse --marketplace M [--run R ...] [--db PATH]`: correct history after a parser fix, from the evidence.

Each run of M (or each run named) is read again from its archive by today's page objects and written as a new
derivation of that run (``marketplace_spiders.storage.derivations``): the old rows move to ``superseded.*``, the
views read the new ones, and what changed (rows per table, fields per row, old -> new) is printed and kept in
``run_derivations``. Runs go oldest first, so each run's history (the listings it revisited, the content it
copied from earlier runs) is already the corrected one.

The replay is a real crawl in a child process, ``scrapy crawl M -s REPLAY_DIR=<archive> -s REPARSE_RUN=<run>``:
the same spider, middlewares and pipeline as every crawl, so a reparse reads exactly as a crawl would today. The
pipeline stages the rows under the run's own id with ``"reparse_of"`` in ``run.json``; ``Database.ingest_run``
hands such a run to ``derivations.ingest_derivation`` (or, if the child left it staged, this command does).

Exit code 0 when every run asked for got its new derivation (changed or not); 1 when any run has no archive,
its reparse was refused (nothing read, responses the run never had, a broken replay) or failed: those runs keep
their current derivation untouched, and the reason is printed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from marketplace_spiders import marketplaces
from marketplace_spiders.core_config import EvidenceConfig
from marketplace_spiders.sql import query
from marketplace_spiders.storage import derivation_archive, derivation_diff, derivations, run_owner
from marketplace_spiders.storage.database import Database, DatabaseLocked, staging_root_for
from marketplace_spiders.storage.derivation_archive import ArchiveNotFound, RunArchive
from marketplace_spiders.storage.derivation_diff import DerivationResult

ROOT = Path(__file__).resolve().parents[2]
CHILD_TIMEOUT = 6 * 3600.0  # seconds; a reparse replays from disk, a stuck child must not hang the command forever


@dataclass
class Outcome:
    """One run's reparse: the result recorded, or why there is none."""

    run_id: str
    result: DerivationResult | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.result is not None and self.result.outcome == "written"

    def format(self) -> str:
        if self.result is not None:
            return self.result.format()
        return f"run {self.run_id}: NOT reparsed: {self.problem} (the run keeps its current rows)"


def child_command(marketplace: str, archive: RunArchive, run_id: str, database: Database,
                  extra: dict[str, str] | None = None) -> list[str]:
    """The ``scrapy crawl`` that replays ``archive`` as a new derivation of ``run_id``."""
    settings = {"REPLAY_DIR": str(archive.path), "REPARSE_RUN": run_id, **database.storage_settings(),
                "LOG_LEVEL": "WARNING", **(extra or {})}
    if archive.observed_at:
        settings["REPLAY_OBSERVED_AT"] = archive.observed_at
    command = [str(Path(sys.executable).with_name("scrapy")), "crawl", marketplace]
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]
    return command


def reparse_run(database: Database, run: dict[str, Any], archive: RunArchive, extra: dict[str, str] | None = None,
                timeout: float = CHILD_TIMEOUT) -> Outcome:
    """Replay ``archive`` as the next derivation of ``run`` in a child crawl and return what was recorded."""
    run_id = run["run_id"]
    started = derivations._now()
    try:
        child = subprocess.run(child_command(run["marketplace"], archive, run_id, database, extra), cwd=ROOT,
                               capture_output=True, text=True, timeout=timeout, env=os.environ.copy())
        code, output = child.returncode, child.stdout + child.stderr
    except subprocess.TimeoutExpired as exc:
        code, output = None, f"{exc}"
    staged = staging_root_for(database.path) / run_id
    if (staged / "run.json").exists():
        # the child's own ingest did not take it (locked, or a pipeline that leaves reparses to this command)
        derivations.ingest_derivation(database, staged)
    elif staged.is_dir() and run_owner.owner_is_dead(staged):
        shutil.rmtree(staged, ignore_errors=True)  # a child that died mid-run: its rows are no derivation
    with database.session() as con:
        result = derivation_diff.latest_result(con, run_id, started)
        if result is not None and result.archive is None:
            con.execute(query("derivation_name_archive"), {"archive": str(archive.path), "run_id": run_id,
                                                           "derivation": result.derivation})
            result.archive = str(archive.path)
    if result is None:
        tail = "\n".join(line for line in output.strip().splitlines()[-8:])
        return Outcome(run_id, problem=f"the replay wrote no derivation (crawl exit code {code})"
                                       + (f":\n{tail}" if tail else ""))
    return Outcome(run_id, result)


def bundled_recordings(marketplace: str) -> list[Path]:
    """The marketplace's bundled recorded runs (``fixtures/timeline/run-*``): what the demo replays."""
    try:
        return marketplaces.get(marketplace).timeline_runs()
    except (KeyError, ValueError):
        return []


def reparse(database: Database, marketplace: str, run_ids: Iterable[str] = (), *, evidence_root: Path,
            archive: Path | None = None, recordings: Iterable[Path] = (), extra: dict[str, str] | None = None,
            out: Callable[[str], None] = print) -> list[Outcome]:
    """Reparse the runs of ``marketplace`` (or ``run_ids``), oldest first; print each outcome with ``out``."""
    with database.session() as con:  # migrates: the derivation columns exist before the first child starts
        runs = derivations.runs_of(con, marketplace, run_ids)
    candidates = derivation_archive.recording_folders([*recordings, *bundled_recordings(marketplace)])
    outcomes = []
    for run in runs:
        try:
            found = RunArchive(Path(archive), kind="given") if archive is not None else \
                derivation_archive.run_archive(run, evidence_root, candidates)
        except ArchiveNotFound as exc:
            outcome = Outcome(run["run_id"], problem=str(exc))
        else:
            out(f"reparsing run {run['run_id']} from {found.path}")
            outcome = reparse_run(database, run, found, extra)
        out(outcome.format())
        outcomes.append(outcome)
    return outcomes


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False  # the crawl runs in a child process
    default_settings = {"LOG_LEVEL": "WARNING"}

    def syntax(self) -> str:
        return "--marketplace M [--run RUN_ID ...] [--db DUCKDB_PATH] [--archive PATH] [--recordings DIR ...]"

    def short_desc(self) -> str:
        return "Read runs again from their archive with today's parsers; write a new derivation, print what changed"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--marketplace", required=True, help="marketplace slug (e.g. wildberries)")
        parser.add_argument("--run", dest="runs", action="append", default=[],
                            help="a run id to reparse (repeatable; default: every run of the marketplace, oldest "
                                 "first)")
        parser.add_argument("--db", default=None, help="DuckDB file (default: DUCKDB_PATH)")
        parser.add_argument("--archive", default=None,
                            help="with one --run: replay this archive or recording folder instead of the run's own")
        parser.add_argument("--recordings", action="append", default=[],
                            help="a folder searched for the recording a replayed run without archive came from "
                                 "(repeatable; the marketplace's bundled timeline is always searched)")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        if args:
            raise UsageError(f"unexpected argument(s): {' '.join(args)}")
        if opts.marketplace not in marketplaces.slugs():
            raise UsageError(f"unknown marketplace {opts.marketplace!r} (known: {', '.join(marketplaces.slugs())})")
        if opts.archive and len(opts.runs) != 1:
            raise UsageError("--archive needs exactly one --run")
        database = Database.from_settings(self.settings, path=opts.db)
        if not database.path.exists():
            raise UsageError(f"database {database.path} does not exist")
        evidence = EvidenceConfig.from_settings(self.settings)
        extra = {"EVIDENCE_DIR": evidence.dir} if evidence.dir else {}
        try:
            outcomes = reparse(database, opts.marketplace, opts.runs, evidence_root=evidence.root(database.path),
                               archive=Path(opts.archive) if opts.archive else None,
                               recordings=[Path(p) for p in opts.recordings], extra=extra)
        except (ValueError, DatabaseLocked, OSError, duckdb.Error) as exc:
            # a run being written when it happened stays staged (nothing lost); the next reparse or ingest takes it
            print(f"reparse: {type(exc).__name__}: {exc}", file=sys.stderr)
            self.exitcode = 1
            return
        bad = [o for o in outcomes if not o.ok]
        changed = [o for o in outcomes if o.ok and o.result is not None and not o.result.unchanged]
        print(f"reparse of {opts.marketplace}: {len(outcomes) - len(bad)} of {len(outcomes)} run(s) written "
              f"({len(changed)} changed), {len(bad)} not" + (f": {', '.join(o.run_id for o in bad)}" if bad else ""))
        if bad:
            self.exitcode = 1
