"""Durable staging of a run's rows as Parquet files, ingested later in one transaction.

Layout: ``<db>.staging/<run_id>/<table>-<seq>.parquet`` plus ``run.json`` (the ``crawl_runs``
row) written last, when the run is complete. A folder without ``run.json`` belongs to a run
still in progress, or one that crashed (see ``Database.ingest_pending``).

Rows not yet in a Parquet batch are journaled as they arrive (``<table>-<seq>.jsonl``, one JSON
line per row, flushed to the operating system at once), so a crawl killed with ``kill -9`` loses
nothing it had received: ``recover_run`` turns the journals into Parquet and closes the run as
``failed``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import types
import typing
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from marketplace_spiders import items as item_classes

MONEY = pa.decimal128(14, 2)
# The system allocator gives freed batch memory back; Arrow's default pool keeps it (measured: ~30 MB less
# peak RSS over a 30,000-product replay, bench/replay_benchmark.py).
pa.set_memory_pool(pa.system_memory_pool())

# Item class -> staged table. ListingContent is staged as a description row.
TABLE_OF = {
    item_classes.ListingObservation: "listing_observations",
    item_classes.SellerObservation: "seller_observations",
    item_classes.SearchHit: "search_hits",
    item_classes.FetchRecord: "fetches",
}

DESCRIPTION_SCHEMA = pa.schema(
    [
        ("description_hash", pa.string()),
        ("marketplace", pa.string()),
        ("product_id", pa.string()),
        ("text", pa.string()),
        ("characteristics", pa.string()),
        ("first_seen", pa.timestamp("us")),
        ("response_sha256", pa.string()),
    ]
)


def _arrow_type(hint: object) -> pa.DataType:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return _arrow_type(args[0])
    if origin is list:
        return pa.list_(_arrow_type(typing.get_args(hint)[0]))
    return {
        str: pa.string(),
        int: pa.int64(),
        float: pa.float64(),
        bool: pa.bool_(),
        Decimal: MONEY,
        datetime: pa.timestamp("us"),
    }[hint]


def arrow_schema(cls: type) -> pa.Schema:
    """Arrow schema of an item class, from its type hints (field names = column names)."""
    hints = typing.get_type_hints(cls)
    return pa.schema([(f.name, _arrow_type(hints[f.name])) for f in dataclasses.fields(cls)])


SCHEMAS = {table: arrow_schema(cls) for cls, table in TABLE_OF.items()}
SCHEMAS["descriptions"] = DESCRIPTION_SCHEMA


def _naive_utc(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


class RunStager:
    """Buffers rows per table and writes them as Parquet every ``batch_size`` rows."""

    def __init__(self, staging_root: Path, run_id: str, batch_size: int = 20_000):
        self.run_dir = Path(staging_root) / run_id
        self.run_dir.mkdir(parents=True, exist_ok=True)
        (self.run_dir / "pid").write_text(str(os.getpid()))
        self.run_id = run_id
        self.batch_size = batch_size
        # Buffered rows are kept column by column: far fewer Python objects than one dict per row.
        self._columns: dict[str, dict[str, list]] = {t: {n: [] for n in SCHEMAS[t].names} for t in SCHEMAS}
        self._buffered: dict[str, int] = {t: 0 for t in SCHEMAS}
        self._seq: dict[str, int] = {t: 0 for t in SCHEMAS}
        self._journals: dict[str, typing.TextIO] = {}
        self.counts: dict[str, int] = {t: 0 for t in SCHEMAS}

    def add(self, table: str, row: dict) -> None:
        for name, column in self._columns[table].items():
            column.append(row.get(name))
        self._buffered[table] += 1
        self.counts[table] += 1
        journal = self._journals.get(table)
        if journal is None:
            journal = open(self.run_dir / f"{table}-{self._seq[table]:06d}.jsonl", "a", encoding="utf-8")  # noqa: SIM115
            self._journals[table] = journal
        journal.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
        journal.flush()
        if self._buffered[table] >= self.batch_size:
            self._flush_table(table)

    def add_item(self, item: object) -> None:
        if isinstance(item, item_classes.ListingContent):
            self.add(
                "descriptions",
                {
                    "description_hash": item.description_hash,
                    "marketplace": item.marketplace,
                    "product_id": item.product_id,
                    "text": item.description,
                    "characteristics": json.dumps(item.characteristics, ensure_ascii=False, sort_keys=True),
                    "first_seen": _naive_utc(item.observed_at),
                    "response_sha256": item.response_sha256,
                },
            )
            return
        table = TABLE_OF[type(item)]
        row = {name: getattr(item, name) for name in SCHEMAS[table].names}
        row["run_id"] = self.run_id
        for key in ("observed_at", "fetched_at", "registered_at"):
            if key in row:
                row[key] = _naive_utc(row[key])
        self.add(table, row)

    def _flush_table(self, table: str) -> None:
        if not self._buffered[table]:
            return
        seq = self._seq[table]
        write_parquet(self.run_dir, table, seq, pa.Table.from_pydict(self._columns[table], schema=SCHEMAS[table]))
        journal = self._journals.pop(table, None)
        if journal is not None:
            journal.close()
            (self.run_dir / f"{table}-{seq:06d}.jsonl").unlink(missing_ok=True)
        self._seq[table] = seq + 1
        self._columns[table] = {n: [] for n in SCHEMAS[table].names}
        self._buffered[table] = 0

    def flush(self) -> None:
        for table in list(self._columns):
            self._flush_table(table)

    def finish(self, run_row: dict) -> Path:
        """Flush everything and write ``run.json``: the run is complete and ready to ingest."""
        self.flush()
        tmp = self.run_dir / ".run.json.tmp"
        tmp.write_text(json.dumps(run_row, ensure_ascii=False, default=str, indent=1), encoding="utf-8")
        os.replace(tmp, self.run_dir / "run.json")
        return self.run_dir


def write_parquet(run_dir: Path, table: str, seq: int, arrow: pa.Table) -> Path:
    """Write one batch atomically (temp file, fsync, rename)."""
    final = run_dir / f"{table}-{seq:06d}.parquet"
    tmp = run_dir / f".{table}-{seq:06d}.parquet.tmp"
    pq.write_table(arrow, tmp)
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, final)
    return final


def _from_journal(value: typing.Any, kind: pa.DataType) -> typing.Any:
    if value is None:
        return None
    if pa.types.is_decimal(kind):
        return Decimal(str(value))
    if pa.types.is_timestamp(kind):
        return datetime.fromisoformat(str(value))
    return value


def recover_run(run_dir: Path, run_row: dict) -> int:
    """Close a run whose process died: journaled rows become Parquet, ``run.json`` is written.

    Returns the number of rows recovered from journals.
    """
    recovered = 0
    for journal in sorted(run_dir.glob("*.jsonl")):
        table, _, seq = journal.stem.rpartition("-")
        schema = SCHEMAS[table]
        rows = []
        for line in journal.read_text("utf-8").splitlines():
            try:
                raw = json.loads(line)
            except ValueError:
                continue  # the last line may be cut by the kill; it was never complete
            rows.append({f.name: _from_journal(raw.get(f.name), f.type) for f in schema})
        if rows:
            if (run_dir / f"{table}-{seq}.parquet").exists():
                journal.unlink()  # the batch reached Parquet before the kill; the journal is a leftover
                continue
            write_parquet(run_dir, table, int(seq), pa.Table.from_pylist(rows, schema=schema))
            recovered += len(rows)
        journal.unlink()
    tmp = run_dir / ".run.json.tmp"
    tmp.write_text(json.dumps(run_row, ensure_ascii=False, default=str, indent=1), encoding="utf-8")
    os.replace(tmp, run_dir / "run.json")
    return recovered
