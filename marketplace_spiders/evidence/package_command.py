"""`scrapy evidence package`: package (and sign) runs, then record each main package in crawl_runs.

Why apart from package.py: the command joins the run folders with the database (which runs are finished, which
are still being written) exactly as ``du`` and ``prune`` do, so it uses disk.py's scan and join; disk.py imports
package.py, so the command cannot live there (no import cycle). Why apart from disk.py: that module is the
archive's disk use and retention; packaging is another command with its own failure modes and its own write to
crawl_runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from marketplace_spiders.evidence.disk import DiskCommandError, RunUsage, database_runs, disk_usage, locations
from marketplace_spiders.evidence.package import (
    PackageError,
    package_path,
    package_run,
    packaged,
    sha256_file,
    warc_groups,
)


def package_candidate(usage: RunUsage) -> str | None:
    """None if the run's folder may be packaged now, else why not: only finished runs (in the database, or
    staged with run.json written); never a folder whose crawl may still be writing it."""
    if usage.staging == "running":
        return "its crawl is still running"
    if usage.record is None and usage.staging != "staged":
        return ("its crawl crashed: `scrapy ingest` recovers the run first" if usage.staging == "crashed"
                else "the database does not know this run and it is not staged (is its crawl still running?)")
    if usage.disk is not None and usage.disk.busy:
        return "a package is being written in it"
    return None


def record_packages(database: Any, packages: list[dict[str, Any]]) -> list[str]:
    """Write each run's main package (``run_id``, ``sha256``, ``tokens``, ``path``) into crawl_runs in one write
    session; returns the run ids the database does not have (yet). Raises DiskCommandError when locked."""
    from marketplace_spiders.sql import query, transaction
    from marketplace_spiders.storage.errors import DatabaseLocked

    if not packages:
        return []
    absent = []
    try:
        with database.session() as con, transaction(con):
            for package in packages:
                if not con.execute(query("evidence_package_record"), package).fetchall():
                    absent.append(package["run_id"])
    except DatabaseLocked as exc:
        raise DiskCommandError(f"{database.path} is locked by another process ({exc})") from exc
    return absent


def _recorded(folder: Path) -> dict[str, Any]:
    """The main package of a packaged run as crawl_runs records it, its sha256 computed again from the file (the
    database never gets a digest read from a sidecar alone)."""
    sidecar = packaged(folder, "main")
    if sidecar is None:
        raise PackageError(f"{folder.name}: no main package (nothing to record)")
    actual = sha256_file(package_path(folder, "main"))
    if actual != sidecar.get("package_sha256"):
        raise PackageError(f"{package_path(folder, 'main').name}: sha256 {actual} differs from its sidecar's "
                           f"{sidecar.get('package_sha256')}: not recorded; `scrapy evidence verify {folder}`")
    return {"run_id": folder.name, "sha256": actual, "tokens": len(sidecar.get("tokens") or []),
            "path": f"{folder.parent.name}/{folder.name}"}


def package_main(opts: Any) -> int:
    """``scrapy evidence package [--run R | --all-unpackaged] [--db PATH]``: package (and sign) the runs
    (``evidence.package.package_run``), then record each main package's sha256 and token count in crawl_runs (one
    write session). It lives here, not in package.py, because it joins the run folders with the database as du and
    prune do (and package.py must not import this module: no import cycle).

    Only finished runs are packaged: known to crawl_runs, or staged with run.json written; a folder whose crawl
    may still be writing is skipped and named. ``--run`` on a run already packaged records its package again (so
    a run packaged while it was still staged gets its digest in crawl_runs once ingested). Exit 0 = every run
    packaged and recorded (or, with --all-unpackaged, skipped as unfinished); 1 = a run failed, the --run was
    refused, or the database could not be read or written (packages written stay valid; running the command
    again records them)."""
    from marketplace_spiders.config import SettingError

    try:
        config, database, root, staging = locations(opts)
    except SettingError as exc:
        print(f"evidence package: {exc}")
        return 1
    if not root.is_dir():
        print(f"no evidence archive at {root}")
        return 1
    try:
        records = database_runs(database)
    except DiskCommandError as exc:
        print(f"evidence package: {exc}")
        return 1
    usages = [u for u in disk_usage(root, records, staging) if u.disk is not None]
    if opts.run:
        usages = [u for u in usages if u.run_id == opts.run]
        if not usages:
            print(f"no run {opts.run} under {root}")
            return 1
    else:
        usages = [u for u in usages if u.disk is not None and any(warc_groups(u.disk.folder).values())]
        if not usages:
            print(f"every run under {root} is packaged")
            return 0
    failed = 0
    to_record: list[dict[str, Any]] = []
    for usage in usages:
        assert usage.disk is not None
        folder = usage.disk.folder
        refused = package_candidate(usage)
        if refused:
            failed += bool(opts.run)  # --all-unpackaged takes only finished runs: a skip is not a failure
            print(f"{folder.name}: skipped, {refused}")
            continue
        try:
            print(package_run(folder, config).summary())
            to_record.append(_recorded(folder))
        except PackageError as exc:
            failed += 1
            print(f"{folder.name}: NOT packaged, its WARC files are untouched: {exc}")
    known = [p for p in to_record if p["run_id"] in records]
    for package in to_record:
        if package["run_id"] not in records:
            print(f"{package['run_id']}: staged, not in the database yet: after its ingest, `scrapy evidence package "
                  f"--run {package['run_id']}` records the package in crawl_runs")
    try:
        absent = record_packages(database, known)
    except DiskCommandError as exc:
        print(f"packages written but NOT recorded in crawl_runs: {exc}; run `scrapy evidence package --run RUN` "
              f"again for: {', '.join(p['run_id'] for p in known)}")
        return 1
    recorded = [p for p in known if p["run_id"] not in absent]
    if recorded:
        print(f"crawl_runs updated for {len(recorded)} run(s): evidence_sha256, evidence_tokens")
    return 1 if failed or absent else 0


def main(opts: Any) -> int:
    """``scrapy evidence package`` (dispatched by commands/evidence.py): ``package_main``."""
    return package_main(opts)
