"""`scrapy evidence du|prune`: what the evidence archive holds on disk, and the retention settings applied to it.

Why a command of its own: every crawl archives every response (WARC, then a WACZ per run), so the archive grows
with every run and an operator must be able to see where the bytes are (per marketplace, per run: main package,
screenshots package, loose WARC files) and which runs are signed, unsigned or still unpackaged.

Why ``du`` reads the disk first and joins the database second: the disk is what costs space and what an analyst
opens; a run folder the database does not know (a run still staged, a crashed crawl, an archive copied from
elsewhere) must show up, not be hidden by the join. The database (read-only session, beside any reader) adds each
run's status and how many stored rows came from it.

Why ``prune`` deletes so little, and logs it: the archive is the proof of the rows. Only two things may go:
screenshots of runs older than EVIDENCE_KEEP_SCREENSHOTS_DAYS (they are packaged and signed apart, so the main
package and its tokens stay valid) and the whole folder of runs older than EVIDENCE_KEEP_EMPTY_RUNS_DAYS that
produced no stored row at all (no listing or seller observation, no search hit, and no description whose evidence
is one of its fetches). The archive of a run with rows is never deleted, whatever the settings; a run the
database does not know, or one still staged, is never touched. Every deletion is appended to
``<evidence root>/prune.log`` (JSON lines: when, what, why, bytes) so missing evidence is always accounted for.

DuckDB is not written by ``prune``: a pruned empty run keeps its ``crawl_runs.evidence_path`` (where its archive
was) and its fetch pointers; ``prune.log`` says when and why the folder went, and ``du`` shows the run as
"pruned" (a run whose folder is gone with no prune.log line is shown as MISSING). The screenshots' records were
never pointed to from DuckDB. So prune needs no write lock and can run while a crawl is ingesting.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from marketplace_spiders.evidence.package import (
    package_path,
    packaged,
    sidecar_path,
    warc_groups,
)

log = logging.getLogger(__name__)

PRUNE_LOG = "prune.log"


# ---------------------------------------------------------------------------- what is on disk
@dataclass
class RunFolder:
    """One ``<marketplace>/<run_id>/`` folder of the archive and the bytes of each kind of file in it."""

    marketplace: str
    run_id: str
    folder: Path
    main_bytes: int = 0  # <run>.wacz + its sidecar + its token files
    screenshots_bytes: int = 0  # <run>-screenshots.wacz + its sidecar + its token files
    loose_bytes: int = 0  # loose main WARC files (not packaged yet)
    loose_screenshots_bytes: int = 0  # loose screenshot WARC files
    other_bytes: int = 0  # anything else (a package being written, stray files)
    package: str = "empty"  # signed | unsigned | unpackaged | empty
    tokens: int = 0
    package_sha256: str | None = None
    busy: bool = False  # a package is being written (.packaging-* or *.partial): never pruned
    screenshot_files: list[Path] = field(default_factory=list)

    @property
    def rel(self) -> str:
        return f"{self.marketplace}/{self.run_id}"

    @property
    def total_bytes(self) -> int:
        return (self.main_bytes + self.screenshots_bytes + self.loose_bytes + self.loose_screenshots_bytes
                + self.other_bytes)


def _package_files(folder: Path, kind: str) -> list[Path]:
    """The package of ``kind`` with its sidecar and every token file the sidecar names, or any file of the
    package's name (a sidecar that cannot be read still leaves its files counted, never hidden)."""
    wacz = package_path(folder, kind)
    files = {wacz, sidecar_path(wacz)}
    try:
        sidecar = packaged(folder, kind) or {}
        files |= {folder / token["file"] for token in sidecar.get("tokens", [])}
    except (OSError, ValueError, KeyError, TypeError):
        pass
    files |= set(folder.glob(f"{glob_escape(wacz.name)}.*.tsr"))
    return sorted(p for p in files if p.is_file())


def glob_escape(name: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", name)


def _size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size


def read_run_folder(folder: Path) -> RunFolder:
    run = RunFolder(folder.parent.name, folder.name, folder)
    groups = warc_groups(folder)
    main_files = _package_files(folder, "main")
    shot_files = _package_files(folder, "screenshots")
    run.main_bytes = sum(_size(p) for p in main_files)
    run.screenshots_bytes = sum(_size(p) for p in shot_files)
    run.loose_bytes = sum(_size(p) for p in groups["main"])
    run.loose_screenshots_bytes = sum(_size(p) for p in groups["screenshots"])
    run.screenshot_files = shot_files + groups["screenshots"]
    known = set(main_files) | set(shot_files) | set(groups["main"]) | set(groups["screenshots"])
    for path in folder.iterdir():
        if path not in known:
            run.other_bytes += _size(path)
            if path.name.startswith(".packaging-") or path.name.endswith(".partial"):
                run.busy = True
    try:
        sidecar = packaged(folder, "main")
    except (OSError, ValueError):
        sidecar = {"tokens": [], "unreadable": True}
    if sidecar is not None:
        run.tokens = len(sidecar.get("tokens") or [])
        run.package = "signed" if run.tokens else "unsigned"
        run.package_sha256 = sidecar.get("package_sha256")
        if groups["main"]:
            run.package = "unpackaged"  # an interrupted clean-up, or WARC files written after the package
    elif groups["main"]:
        run.package = "unpackaged"
    return run


def scan_archive(root: Path) -> list[RunFolder]:
    """Every run folder under the evidence root (``<marketplace>/<run_id>/``), in name order."""
    root = Path(root)
    if not root.is_dir():
        return []
    return [read_run_folder(folder) for marketplace in sorted(root.iterdir())
            if marketplace.is_dir() and not marketplace.name.startswith(".")
            for folder in sorted(marketplace.iterdir()) if folder.is_dir() and not folder.name.startswith(".")]


# ---------------------------------------------------------------------------- what the database says
@dataclass(frozen=True)
class RunRecord:
    """A crawl_runs row with the number of stored rows that came from the run (``evidence_disk_runs.sql``)."""

    run_id: str
    marketplace: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    item_count: int | None
    evidence_path: str | None
    evidence_sha256: str | None
    evidence_tokens: int | None
    listing_observations: int
    seller_observations: int
    search_hits: int
    cited_descriptions: int

    @property
    def observations(self) -> int:
        return self.listing_observations + self.seller_observations + self.search_hits

    @property
    def stored_rows(self) -> int:
        """Every stored row whose evidence is in this run's archive."""
        return self.observations + self.cited_descriptions


class DiskCommandError(RuntimeError):
    """The database could not be read (locked, unreadable, without the evidence schema): nothing was done."""


def database_runs(database: Any) -> dict[str, RunRecord]:
    """run_id -> RunRecord, from a read-only session of ``database`` ({} when its file does not exist)."""
    from marketplace_spiders.sql import query
    from marketplace_spiders.storage.errors import DatabaseLocked

    if not Path(database.path).exists():
        return {}
    try:
        with database.session(read_only=True) as con:
            rows = con.execute(query("evidence_disk_runs")).fetchall()
    except DatabaseLocked as exc:
        raise DiskCommandError(f"{database.path} is locked by another process ({exc}); nothing was done: try "
                               "again when the ingest or crawl holding it has finished") from exc
    except duckdb.Error as exc:
        raise DiskCommandError(f"{database.path} cannot be read ({type(exc).__name__}: {str(exc)[:200]}); a "
                               "database from before the evidence archive gets its columns at the next crawl "
                               "or `scrapy ingest`") from exc
    return {row[0]: RunRecord(*row) for row in rows}


def staging_state(staging_root: Path, run_id: str) -> str | None:
    """None if the run has no staging folder, else "staged" (finished, not ingested yet: run.json written),
    "crashed" (its crawl died before run.json; `scrapy ingest` recovers it) or "running" (its crawl holds the
    folder: its archive may still be written)."""
    from marketplace_spiders.storage import run_owner

    folder = Path(staging_root) / run_id
    if not folder.is_dir():
        return None
    if (folder / "run.json").is_file():
        return "staged"
    return "crashed" if run_owner.owner_is_dead(folder) else "running"


def read_prune_log(root: Path) -> list[dict[str, Any]]:
    path = Path(root) / PRUNE_LOG
    if not path.is_file():
        return []
    entries = []
    for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            entries.append(json.loads(line))
        except ValueError as exc:
            raise DiskCommandError(f"{path}: line {number} is not JSON ({exc}); fix or move the line, nothing "
                                   "was done") from exc
    return entries


# ---------------------------------------------------------------------------- the join
@dataclass
class RunUsage:
    marketplace: str
    run_id: str
    disk: RunFolder | None
    record: RunRecord | None
    staging: str | None
    pruned: list[dict[str, Any]] = field(default_factory=list)  # prune.log entries of this run

    @property
    def pruned_run(self) -> dict[str, Any] | None:
        return next((e for e in reversed(self.pruned) if e.get("kind") == "empty_run" and not e.get("error")), None)

    @property
    def pruned_screenshots(self) -> dict[str, Any] | None:
        return next((e for e in reversed(self.pruned) if e.get("kind") == "screenshots" and not e.get("error")),
                    None)

    @property
    def state(self) -> str:
        """How the archive of this run stands, in words for the du table."""
        if self.disk is None:
            entry = self.pruned_run
            if entry:
                return f"pruned {str(entry.get('when', ''))[:10]}"
            return "MISSING (no folder, no prune.log entry)"
        return self.disk.package

    def notes(self) -> list[str]:
        notes = []
        if self.record is None:
            notes.append({"staged": "not in the database yet (staged, not ingested)",
                          "crashed": "not in the database (crawl crashed; `scrapy ingest` recovers it)",
                          "running": "not in the database (crawl still running)"}.get(
                self.staging or "", "not in the database"))
        elif self.disk is not None and self.disk.package_sha256 and self.disk.package in ("signed", "unsigned"):
            if self.record.evidence_sha256 is None:
                notes.append("crawl_runs.evidence_sha256 not recorded: `scrapy evidence package --run` records it")
            elif self.record.evidence_sha256 != self.disk.package_sha256:
                notes.append("PACKAGE DIFFERS from crawl_runs.evidence_sha256")
        if self.disk is not None and self.pruned_screenshots and not self.disk.screenshot_files:
            notes.append(f"screenshots pruned {str(self.pruned_screenshots.get('when', ''))[:10]}")
        if self.disk is not None and self.disk.busy:
            notes.append("a package is being written")
        return notes


def disk_usage(root: Path, records: dict[str, RunRecord], staging_root: Path,
               prune_log: Iterable[dict[str, Any]] = ()) -> list[RunUsage]:
    """Every run folder on disk joined with its crawl_runs row, then every run of the database whose archive
    folder is gone (pruned, or missing), by marketplace and run id."""
    by_run: dict[str, list[dict[str, Any]]] = {}
    for entry in prune_log:
        by_run.setdefault(str(entry.get("run_id")), []).append(entry)
    usages = []
    seen = set()
    for folder in scan_archive(root):
        record = records.get(folder.run_id)
        if record is not None and record.marketplace != folder.marketplace:
            record = None  # the same id under another marketplace's folder is not this run
        if record is not None:
            seen.add(folder.run_id)
        usages.append(RunUsage(folder.marketplace, folder.run_id, folder, record,
                               staging_state(staging_root, folder.run_id), by_run.get(folder.run_id, [])))
    for record in records.values():
        if record.run_id in seen or (record.evidence_path is None and record.run_id not in by_run):
            continue  # an archived run on disk, or a run never archived (EVIDENCE_ARCHIVE=False, older runs)
        usages.append(RunUsage(record.marketplace, record.run_id, None, record, None, by_run.get(record.run_id, [])))
    return sorted(usages, key=lambda u: (u.marketplace, u.record.started_at.isoformat() if u.record else "~",
                                         u.run_id))


# ---------------------------------------------------------------------------- du
def human(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    value = float(size)
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        value /= 1024
        if value < 1024 or unit == "TiB":
            return f"{value:.1f} {unit}"
    raise AssertionError("unreachable")


COLUMNS = ("run", "started (UTC)", "status", "rows", "package", "WACZ", "screenshots", "loose WARC", "total",
           "notes")


def _row(usage: RunUsage) -> list[str]:
    record, disk = usage.record, usage.disk
    screenshots = "-"
    if disk is not None:
        shots = disk.screenshots_bytes + disk.loose_screenshots_bytes
        screenshots = human(shots) if disk.screenshot_files else ("pruned" if usage.pruned_screenshots else "-")
    return [
        usage.run_id,
        record.started_at.strftime("%Y-%m-%d %H:%M") if record else "?",
        record.status if record else (usage.staging or "?"),
        str(record.stored_rows) if record else "?",
        usage.state,
        human(disk.main_bytes) if disk else "-",
        screenshots,
        human(disk.loose_bytes) if disk else "-",
        human(disk.total_bytes) if disk else "0 B",
        "; ".join(usage.notes()),
    ]


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    right = {3, 5, 6, 7, 8}
    return ["  ".join((cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])) for i, cell in enumerate(row))
            .rstrip() for row in rows]


def summary_counts(usages: list[RunUsage]) -> dict[str, int]:
    on_disk = [u for u in usages if u.disk is not None]
    return {
        "run_folders": len(on_disk),
        "signed": sum(u.disk.package == "signed" for u in on_disk),
        "unsigned": sum(u.disk.package == "unsigned" for u in on_disk),
        "unpackaged": sum(u.disk.package == "unpackaged" for u in on_disk),
        "empty": sum(u.disk.package == "empty" for u in on_disk),
        "pruned": sum(u.disk is None and u.pruned_run is not None for u in usages),
        "missing": sum(u.disk is None and u.pruned_run is None for u in usages),
        "not_in_database": sum(u.record is None for u in on_disk),
        "bytes": sum(u.disk.total_bytes for u in on_disk),
    }


def render_du(usages: list[RunUsage], root: Path) -> str:
    if not usages:
        return f"no evidence archive under {root}" if not Path(root).is_dir() else f"{root}: no run folder"
    lines = [f"evidence archive: {root}", ""]
    for marketplace in sorted({u.marketplace for u in usages}):
        group = [u for u in usages if u.marketplace == marketplace]
        disks = [u.disk for u in group if u.disk is not None]
        rows = [list(COLUMNS), *(_row(u) for u in group)]
        lines.append(f"{marketplace}: {len(disks)} run folder(s), {human(sum(d.total_bytes for d in disks))} "
                     f"(WACZ {human(sum(d.main_bytes for d in disks))}, screenshots "
                     f"{human(sum(d.screenshots_bytes + d.loose_screenshots_bytes for d in disks))}, loose WARC "
                     f"{human(sum(d.loose_bytes for d in disks))})")
        lines += ["  " + line for line in _table(rows)]
        lines.append("")
    on_disk = [u.disk for u in usages if u.disk is not None]
    counts = summary_counts(usages)
    lines.append(f"total: {counts['run_folders']} run folder(s), {human(counts['bytes'])} = WACZ "
                 f"{human(sum(d.main_bytes for d in on_disk))} + screenshots "
                 f"{human(sum(d.screenshots_bytes + d.loose_screenshots_bytes for d in on_disk))} + loose WARC "
                 f"{human(sum(d.loose_bytes for d in on_disk))} + other {human(sum(d.other_bytes for d in on_disk))}")
    lines.append(f"packages: {counts['signed']} signed, {counts['unsigned']} unsigned, {counts['unpackaged']} "
                 f"unpackaged" + (f", {counts['empty']} empty folder(s)" if counts["empty"] else "")
                 + f"; {counts['pruned']} run(s) pruned (prune.log), {counts['missing']} MISSING; "
                 f"{counts['not_in_database']} run folder(s) not in the database")
    lines.append("rows = listing + seller observations + search hits of the run (+ descriptions whose evidence is "
                 "in it); a run with rows is never pruned")
    return "\n".join(lines)


# ---------------------------------------------------------------------------- prune
@dataclass
class Deletion:
    kind: str  # "screenshots" | "empty_run"
    usage: RunUsage
    paths: list[Path]
    why: str
    bytes: int

    def what(self, root: Path) -> list[str]:
        return [p.relative_to(root).as_posix() for p in self.paths]


def _age(record: RunRecord, now: datetime) -> timedelta:
    started = record.started_at
    if started.tzinfo is not None:
        started = started.astimezone(UTC).replace(tzinfo=None)
    return now - started


def plan_prune(usages: list[RunUsage], keep_screenshots_days: int, keep_empty_runs_days: int,
               now: datetime | None = None) -> tuple[list[Deletion], list[str]]:
    """(the deletions the settings allow, why other candidates were kept). ``now`` is naive UTC (crawl_runs
    stores UTC without a zone). Only runs the database knows, not staged, not being packaged, are candidates."""
    now = now or datetime.now(UTC).replace(tzinfo=None)
    deletions: list[Deletion] = []
    kept: list[str] = []
    for usage in usages:
        disk, record = usage.disk, usage.record
        if disk is None:
            continue
        if record is None:
            if disk.screenshot_files and keep_screenshots_days or keep_empty_runs_days:
                kept.append(f"{disk.rel}: kept, the database does not know this run "
                            f"({usage.staging or 'not staged either'})")
            continue
        if usage.staging is not None:
            kept.append(f"{disk.rel}: kept, still in staging ({usage.staging})")
            continue
        if disk.busy:
            kept.append(f"{disk.rel}: kept, a package is being written in it")
            continue
        age = _age(record, now)
        started = record.started_at.strftime("%Y-%m-%d %H:%M")
        if keep_empty_runs_days and age > timedelta(days=keep_empty_runs_days):
            if record.stored_rows == 0:
                deletions.append(Deletion(
                    "empty_run", usage, [disk.folder],
                    f"EVIDENCE_KEEP_EMPTY_RUNS_DAYS={keep_empty_runs_days}: run started {started} UTC "
                    f"({age.days} days ago, status {record.status}) produced no stored row (0 listing and seller "
                    "observations, 0 search hits, no description)", disk.total_bytes))
                continue
        if keep_screenshots_days and age > timedelta(days=keep_screenshots_days) and disk.screenshot_files:
            deletions.append(Deletion(
                "screenshots", usage, list(disk.screenshot_files),
                f"EVIDENCE_KEEP_SCREENSHOTS_DAYS={keep_screenshots_days}: run started {started} UTC ({age.days} "
                "days ago); screenshots are packaged and signed apart, the main package and its tokens stay valid",
                disk.screenshots_bytes + disk.loose_screenshots_bytes))
    return deletions, kept


def _append_log(root: Path, entry: dict[str, Any]) -> None:
    with open(Path(root) / PRUNE_LOG, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def apply_prune(deletions: list[Deletion], root: Path, *, dry_run: bool = False) -> list[str]:
    """Delete (unless ``dry_run``) and append each deletion to prune.log; returns the problems (a deletion that
    failed part-way is logged with what it could not delete)."""
    problems = []
    for deletion in deletions:
        entry = {"when": datetime.now(UTC).isoformat(timespec="seconds"), "kind": deletion.kind,
                 "marketplace": deletion.usage.marketplace, "run_id": deletion.usage.run_id,
                 "what": deletion.what(root), "why": deletion.why, "bytes": deletion.bytes}
        if dry_run:
            continue
        try:
            for path in deletion.paths:
                if path.is_dir():
                    shutil.rmtree(path)
                else:
                    path.unlink(missing_ok=True)
        except OSError as exc:
            left = [p.relative_to(root).as_posix() for p in deletion.paths if p.exists()]
            entry["error"] = f"{type(exc).__name__}: {exc}; still on disk: {left}"
            problems.append(f"{deletion.usage.marketplace}/{deletion.usage.run_id}: {entry['error']}")
        _append_log(root, entry)
        log.info("evidence prune: deleted %s (%s bytes): %s", ", ".join(entry["what"]), deletion.bytes, deletion.why)
    return problems


# ---------------------------------------------------------------------------- command
def locations(opts: Any) -> tuple[Any, Any, Path, Path]:
    """(EvidenceConfig, Database, evidence root, staging root) of the command's settings and --db."""
    from marketplace_spiders.core_config import EvidenceConfig
    from marketplace_spiders.storage.database import Database, staging_root_for

    database = Database.from_settings(opts.settings, path=getattr(opts, "db", None) or None)
    config = EvidenceConfig.from_settings(opts.settings)
    return config, database, config.root(database.path), staging_root_for(database.path)


def _du(opts: Any) -> int:
    _config, database, root, staging = locations(opts)
    usages = disk_usage(root, database_runs(database), staging, read_prune_log(root))
    print(render_du(usages, root))
    if not Path(database.path).exists():
        print(f"(no database at {database.path}: every run folder is shown as not in the database)")
    return 1 if summary_counts(usages)["missing"] else 0


def _prune(opts: Any) -> int:
    config, database, root, staging = locations(opts)
    screenshots_days, empty_days = config.keep_screenshots_days, config.keep_empty_runs_days
    if not screenshots_days and not empty_days:
        print("retention is off (EVIDENCE_KEEP_SCREENSHOTS_DAYS=0, EVIDENCE_KEEP_EMPTY_RUNS_DAYS=0: keep forever): "
              "nothing pruned")
        return 0
    if not Path(database.path).exists():
        print(f"no database at {database.path}: no run is known, so nothing is pruned")
        return 0
    usages = disk_usage(root, database_runs(database), staging, read_prune_log(root))
    deletions, kept = plan_prune(usages, screenshots_days, empty_days)
    dry_run = bool(getattr(opts, "dry_run", False))
    verb = "would delete" if dry_run else "deleted"
    problems = apply_prune(deletions, root, dry_run=dry_run)
    for deletion in deletions:
        print(f"{verb} {', '.join(deletion.what(root))} ({human(deletion.bytes)}): {deletion.why}")
    for line in kept:
        print(line)
    for problem in problems:
        print(f"NOT fully deleted: {problem}")
    freed = sum(d.bytes for d in deletions)
    print(f"{'dry run: ' if dry_run else ''}{len(deletions)} deletion(s), {human(freed)}"
          + ("" if dry_run else f"; each is recorded in {root / PRUNE_LOG}")
          + f" (screenshots after {screenshots_days or 'never'} days, runs without rows after "
          f"{empty_days or 'never'} days; runs with rows are always kept)")
    return 1 if problems else 0


def main(opts: Any) -> int:
    """``scrapy evidence du|prune`` (``scrapy evidence package`` is ``package_command.main``). 0 = done; 1 = the
    database could not be read, a setting is bad, a run's archive is MISSING (du), or a deletion failed (prune)."""
    command = getattr(opts, "evidence_command", "du")
    from marketplace_spiders.config import SettingError

    try:
        return _prune(opts) if command == "prune" else _du(opts)
    except (DiskCommandError, SettingError) as exc:  # a bad setting names itself; nothing was deleted
        print(f"evidence {command}: {exc}")
        return 1


# ---------------------------------------------------------------------------- every subcommand
def apply_settings(opts: Any) -> None:
    """Apply the ``-s NAME=VALUE`` given after the subcommand (``opts.late_settings``), at the command line's
    priority, as Scrapy applies those given before it; a malformed one is a usage error, never dropped."""
    from scrapy.exceptions import UsageError

    for item in getattr(opts, "late_settings", None) or []:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise UsageError(f"-s {item!r}: expected NAME=VALUE")
        opts.settings.set(name, value, priority="cmdline")
