"""The diff of two derivations of a run, and the result of a reparse as it is stored and printed.

``diff_derivation`` compares, in SQL, the run's rows of derivation k-1 (``superseded.*``) with those of derivation
k (the main tables): rows per table before/after and, per row matched by ``DIFF_KEYS``, the fields that changed.
``DerivationResult`` is what ``scrapy reparse`` prints and ``run_derivations.summary`` stores. Apart from
derivations.py (the ingest, which calls ``diff_derivation`` inside its transaction) because the comparison and
its rendering are read on their own and this module imports nothing of the ingest: the dependency runs one way.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import duckdb

from marketplace_spiders.sql import query

# How rows of a table are matched between two derivations (plus their ordinal among rows of the same key): what
# identifies "the same observation" independently of what the parser read from it. A row whose key fields the
# parser got wrong (a product id) shows as one row removed and one added.
DIFF_KEYS = {
    "listing_observations": ("product_id", "source", "response_sha256"),
    "seller_observations": ("seller_id", "response_sha256"),
    "search_hits": ("term", "page", "position"),
    "fetches": ("url", "page_type"),
}
# Columns never compared: they say which derivation a row belongs to, not what was read.
NOT_COMPARED = frozenset({"run_id", "marketplace", "derivation", "parser_version", "superseded_at",
                          "superseded_by_derivation"})
# Fetch columns that point into the archive: carried from the old row (a reparse writes no archive).
POINTER_PREFIX = "warc_"
MAX_STORED_CHANGES = 20_000  # row changes kept in run_derivations.summary (the per-table counts are always complete)


@dataclass
class TableDiff:
    before: int = 0
    after: int = 0
    added: int = 0
    removed: int = 0
    changed: int = 0


@dataclass
class RowChange:
    """One row that differs: ``kind`` added | removed | changed; for changed rows, ``fields``: name -> [old, new]."""

    table: str
    kind: str
    key: dict[str, Any]
    fields: dict[str, list[Any]] = field(default_factory=dict)


@dataclass
class DerivationResult:
    """What a reparse of one run did (the command prints it; ``run_derivations.summary`` stores it)."""

    run_id: str
    marketplace: str
    derivation: int
    outcome: str  # written | refused
    reason: str | None = None
    parser_version: str | None = None
    previous_parser_version: str | None = None
    archive: str | None = None
    tables: dict[str, TableDiff] = field(default_factory=dict)
    changes: list[RowChange] = field(default_factory=list)
    changes_truncated: bool = False

    @property
    def unchanged(self) -> bool:
        return not any(t.added or t.removed or t.changed for t in self.tables.values())

    def field_counts(self) -> dict[str, int]:
        """``table.field`` -> rows in which that field changed."""
        counts: dict[str, int] = {}
        for change in self.changes:
            for name in change.fields:
                counts[f"{change.table}.{name}"] = counts.get(f"{change.table}.{name}", 0) + 1
        return dict(sorted(counts.items()))

    def summary(self) -> dict[str, Any]:
        return {"tables": {name: asdict(diff) for name, diff in self.tables.items()},
                "changes": [asdict(c) for c in self.changes], "changes_truncated": self.changes_truncated}

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> DerivationResult:
        """From a ``run_derivations`` row (as a dict of its columns)."""
        summary = json.loads(row["summary"]) if isinstance(row.get("summary"), str) else (row.get("summary") or {})
        return cls(run_id=row["run_id"], marketplace=row["marketplace"], derivation=row["derivation"],
                   outcome=row["outcome"], reason=row.get("reason"), parser_version=row.get("parser_version"),
                   previous_parser_version=row.get("previous_parser_version"), archive=row.get("archive"),
                   tables={name: TableDiff(**diff) for name, diff in summary.get("tables", {}).items()},
                   changes=[RowChange(**c) for c in summary.get("changes", [])],
                   changes_truncated=bool(summary.get("changes_truncated")))

    def format(self, max_changes: int = 50) -> str:
        """The result for people: one line per table, then per row the fields that changed (old -> new)."""
        head = f"run {self.run_id}: derivation {self.derivation}"
        if self.outcome != "written":
            return f"{head} REFUSED: {self.reason} (the run keeps its current rows)"
        versions = f"parser {self.previous_parser_version or 'unknown'} -> {self.parser_version}"
        lines = [f"{head} written ({versions}); " + ("nothing changed" if self.unchanged else "changes:")]
        for name, diff in self.tables.items():
            lines.append(f"  {name:<21} {diff.before:>6} -> {diff.after:<6} rows"
                         f"  (+{diff.added} -{diff.removed} ~{diff.changed})")
        counts = self.field_counts()
        if counts:
            lines.append("  fields changed: " + ", ".join(f"{name} ({n})" for name, n in counts.items()))
        for change in self.changes[:max_changes]:
            key = ", ".join(f"{k}={_short(v, 12 if k == 'response_sha256' else 60)}"
                            for k, v in change.key.items() if v is not None)
            if change.kind == "changed":
                what = "; ".join(f"{name}: {_short(old)} -> {_short(new)}"
                                 for name, (old, new) in change.fields.items())
                lines.append(f"    ~ {change.table} [{key}] {what}")
            else:
                lines.append(f"    {'+' if change.kind == 'added' else '-'} {change.table} [{key}] {change.kind}")
        hidden = len(self.changes) - max_changes
        if hidden > 0 or self.changes_truncated:
            lines.append(f"    … {max(hidden, 0)} more row change(s)"
                         + (" (and more not stored)" if self.changes_truncated else "")
                         + f"; all in run_derivations.summary of run {self.run_id}, derivation {self.derivation}")
        return "\n".join(lines)


def _short(value: Any, limit: int = 60) -> str:
    text = "NULL" if value is None else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[tuple[str, str]]:
    """(name, type) of the columns of ``schema.table``, in table order."""
    return [(r[0], r[1]) for r in con.execute(query("derivation_columns"), [schema, table]).fetchall()]


def diff_derivation(con: duckdb.DuckDBPyConnection, run_id: str,
                    derivation: int) -> tuple[dict[str, TableDiff], list[RowChange], bool]:
    """Rows per table before/after, and every row that differs between derivation ``derivation - 1`` (in
    ``superseded.*``) and ``derivation`` (main tables) of ``run_id``: (tables, changes, truncated)."""
    tables: dict[str, TableDiff] = {}
    changes: list[RowChange] = []
    truncated = False
    params = {"run_id": run_id, "derivation": derivation}
    for table in ("listing_observations", "seller_observations", "search_hits", "fetches"):
        before, after = con.execute(query("derivation_row_counts").format(table=table), params).fetchone()
        diff = TableDiff(before=before, after=after)
        main_cols = dict(columns(con, "main", table))
        old_cols = {name for name, _ in columns(con, "superseded", table)}
        key = [c for c in DIFF_KEYS[table] if c in main_cols]
        compared = [c for c in main_cols if c in old_cols and c not in NOT_COMPARED
                    and not c.startswith(POINTER_PREFIX)]
        # money as written (6990.00, not the JSON number 6990.0): the diff shows what the rows hold
        values = [f"{_quote(c)} := {_quote(c)}::VARCHAR" if main_cols[c].startswith("DECIMAL")
                  else f"{_quote(c)} := {_quote(c)}" for c in compared]
        sql = query("derivation_diff_rows").format(
            table=table, key=", ".join(_quote(c) for c in key), order=", ".join(_quote(c) for c in compared),
            compared=", ".join(values),
            join=" AND ".join(f"o.{_quote(c)} IS NOT DISTINCT FROM n.{_quote(c)}" for c in key))
        cur = con.execute(sql, params)
        while batch := cur.fetchmany(1000):  # a parser fix can change every row of a large run: never all at once
            for old_json, new_json in batch:
                kind = "added" if old_json is None else "removed" if new_json is None else "changed"
                setattr(diff, kind, getattr(diff, kind) + 1)
                if len(changes) >= MAX_STORED_CHANGES:
                    truncated = True
                    continue
                old_row = json.loads(old_json) if old_json else {}
                new_row = json.loads(new_json) if new_json else {}
                row = new_row or old_row
                fields = {name: [old_row.get(name), new_row.get(name)] for name in compared
                          if old_row.get(name) != new_row.get(name)} if kind == "changed" else {}
                changes.append(RowChange(table, kind, {c: row.get(c) for c in key}, fields))
        tables[table] = diff
    return tables, changes, truncated


def latest_result(con: duckdb.DuckDBPyConnection, run_id: str, since: datetime) -> DerivationResult | None:
    """The latest reparse attempt of ``run_id`` recorded at or after ``since`` (UTC, naive), if any."""
    cur = con.execute(query("derivation_latest"), {"run_id": run_id, "since": since})
    names = [d[0] for d in cur.description]
    row = cur.fetchone()
    return DerivationResult.from_row(dict(zip(names, row, strict=True))) if row else None
