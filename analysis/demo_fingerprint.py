"""A golden fingerprint of the demo database: per table and per view, the row count and a digest of its rows.

``python -m analysis.demo_fingerprint`` replays every bundled recording
(``marketplace_spiders/marketplaces/*/fixtures/timeline/run-*``) through the real spiders into a fresh DuckDB
file, exactly as ``make demo`` does, and writes ``fixtures/demo/fingerprint.json``. ``tests/test_demo_database.py``
rebuilds the database and compares: a refactor that changes any row of any table or view shows there, named by
table.

What differs from one build to the next is normalised, never dropped:

* run ids carry a random suffix (``ozon-20261102T070000Z-9bf70dc7``): every run id of ``crawl_runs``, wherever it
  appears (``run_id``, ``status_run_id``, ``last_known_run_id``, inside JSON or lists), becomes a stable label
  ``<run:marketplace:n>`` (n = its place among the marketplace's runs by start time), so which run a row points
  to still counts;
* timestamps written from the clock during the build (``ingested_at``, ``applied_at``, ``classified_at``, …)
  become ``<build time>``: any timestamp inside the build's wall-clock window, whatever its column;
* ``database_identity.database_id`` is a random UUID per database file;
* rows are sorted by their normalised text, so a table's physical order does not count.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import re
import shutil
import sys
import tempfile
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

import duckdb

from marketplace_spiders import demo

ROOT = Path(__file__).resolve().parents[1]
FINGERPRINT = ROOT / "fixtures" / "demo" / "fingerprint.json"
RANDOM_COLUMNS = {("database_identity", "database_id")}
"""(table, column) whose values are random by design (not data): replaced by a placeholder."""
RANDOM_COLUMN_NAMES = {"warc_record_id", "warc_offset", "warc_length", "evidence_sha256", "parser_version"}
"""Columns random or build-dependent in every table and view: WARC record ids are UUIDs; a record's offset and
length and a package's digest depend on the build (the warcinfo names the host and the recording's path; the
WACZ carries its creation time); the parser version changes with any edit of a page object. Whether they are
set still counts: NULL stays NULL."""
BUILD_TIME = "<build time>"


class BuildWindow:
    """The wall-clock interval of a build (naive UTC, as the database stores it): a timestamp inside it was
    written from the clock, not from the recordings (which are dated in the past)."""

    def __init__(self) -> None:
        self.start = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(seconds=1)
        self.end: dt.datetime | None = None

    def close(self) -> None:
        self.end = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(seconds=1)

    def contains(self, value: dt.datetime) -> bool:
        value = value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value
        return self.start <= value <= (self.end or dt.datetime.max)


def build_demo_database(db: Path, fixtures: Path | None = None) -> BuildWindow:
    """Replay every bundled recording into a new ``db`` (``marketplace_spiders.demo``); the build's window."""
    window = BuildWindow()
    demo.build_database(db, fixtures)
    window.close()
    return window


def _run_labels(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    rows = con.execute("SELECT run_id, marketplace, started_at FROM crawl_runs").fetchall()
    labels, seen = {}, {}
    for run_id, marketplace, _started in sorted(rows, key=lambda r: (r[1], r[2], r[0])):
        seen[marketplace] = seen.get(marketplace, 0) + 1
        labels[run_id] = f"<run:{marketplace}:{seen[marketplace]}>"
    return labels


class Normaliser:
    def __init__(self, labels: dict[str, str], window: BuildWindow | None):
        self.labels = labels
        self.window = window
        self.pattern = re.compile("|".join(re.escape(r) for r in sorted(labels, key=len, reverse=True))) \
            if labels else None

    def text(self, value: str) -> str:
        return self.pattern.sub(lambda m: self.labels[m.group(0)], value) if self.pattern else value

    def value(self, value: object) -> object:
        if value is None or isinstance(value, bool | int):
            return value
        if isinstance(value, float):
            return repr(value)
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, dt.datetime):
            if self.window is not None and self.window.contains(value):
                return BUILD_TIME
            return value.isoformat()
        if isinstance(value, dt.date | dt.time | dt.timedelta):
            return str(value)
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list | tuple):
            return [self.value(v) for v in value]
        if isinstance(value, dict):
            return {str(k): self.value(v) for k, v in value.items()}
        return self.text(str(value))


def relations(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """(name, 'table' | 'view') of every user table and view, by name."""
    return [(name, "view" if kind == "VIEW" else "table") for name, kind in con.execute(
        "SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = 'main' "
        "ORDER BY table_name").fetchall()]


def _digest(lines: Iterable[str]) -> str:
    h = hashlib.sha256()
    for line in lines:
        h.update(line.encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()


def fingerprint(db: Path, window: BuildWindow | None) -> dict:
    """Per table and view: kind, columns with types, row count and the digest of the normalised sorted rows."""
    with duckdb.connect(str(db), read_only=True) as con:
        norm = Normaliser(_run_labels(con), window)
        out = {}
        for name, kind in relations(con):
            cur = con.execute(f'SELECT * FROM "{name}"')
            columns = [d[0] for d in cur.description]
            types = [str(d[1]) for d in cur.description]
            lines = []
            for row in cur.fetchall():
                values = ["<random>" if (name, c) in RANDOM_COLUMNS or (c in RANDOM_COLUMN_NAMES and v is not None)
                          else norm.value(v)
                          for c, v in zip(columns, row, strict=True)]
                lines.append(json.dumps(values, ensure_ascii=False, sort_keys=True))
            lines.sort()
            out[name] = {"kind": kind, "columns": [f"{c} {t}" for c, t in zip(columns, types, strict=True)],
                         "rows": len(lines), "digest": _digest(lines)}
        return out


def differences(expected: dict, actual: dict) -> list[str]:
    """One line per table or view whose fingerprint differs (missing, extra, columns, rows, digest)."""
    found = []
    for name in sorted(set(expected) | set(actual)):
        want, got = expected.get(name), actual.get(name)
        if want is None:
            found.append(f"{name}: new {got['kind']} ({got['rows']} rows) not in the fingerprint")
        elif got is None:
            found.append(f"{name}: {want['kind']} missing from the demo database")
        elif want != got:
            parts = [f"{key} {want.get(key)!r} -> {got.get(key)!r}" for key in ("kind", "rows", "columns")
                     if want.get(key) != got.get(key)]
            found.append(f"{name}: " + ("; ".join(parts) if parts else "same rows count, different row contents"))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=FINGERPRINT)
    parser.add_argument("--fixtures", type=Path, default=None)
    parser.add_argument("--check", action="store_true", help="compare with --out instead of writing it")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="demo-fingerprint-"))
    try:
        db = folder / "demo.duckdb"
        window = build_demo_database(db, args.fixtures)
        found = fingerprint(db, window)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if args.check:
        diff = differences(json.loads(args.out.read_text("utf-8")), found)
        for line in diff:
            print(line, file=sys.stderr)
        return 1 if diff else 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(found, indent=1, ensure_ascii=False, sort_keys=True) + "\n", "utf-8")
    print(f"wrote {args.out} ({len(found)} tables and views)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
