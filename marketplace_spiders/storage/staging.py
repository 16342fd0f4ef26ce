"""Durable staging of a run's rows as Parquet files, ingested later in one transaction.

Layout: ``<db>.staging/<run_id>/<table>-<seq>.parquet`` plus ``run.json`` (the ``crawl_runs``
row) written last, when the run is complete. A folder without ``run.json`` belongs to a run
still in progress, or one that crashed (see ``Database.ingest_pending``).

Rows not yet in a Parquet batch are journaled as they arrive (``<table>-<seq>.jsonl``, one JSON
line per row, flushed to the operating system at once), so a crawl killed with ``kill -9`` loses
nothing it had received: ``recover_run`` turns the journals into Parquet and closes the run as
``failed``.

A write that fails (a full disk, a read-only or vanished folder) is never skipped: ``add`` raises
``StagingWriteError`` for that row and every later one, ``failure.json`` records why (written into the
space of ``reserve``, a small file set aside when the run starts for exactly this), and the crawl is
stopped by the pipeline. Journals stay where they are; the ingest turns them into Parquet.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import types
import typing
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from marketplace_spiders import items as item_classes
from marketplace_spiders.storage import run_owner

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


# Bytes set aside when a run starts, freed to record a write failure (failure.json, run.json) on a full disk.
RESERVE_BYTES = 256 * 1024
FAILURE_FILE = "failure.json"


class StagingWriteError(OSError):
    """A staged row could not be written; the run cannot go on and must be recorded as failed."""


def _naive_utc(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


class RunStager:
    """Buffers rows per table and writes them as Parquet every ``batch_size`` rows."""

    def __init__(self, staging_root: Path, run_id: str, batch_size: int = 20_000):
        self.run_dir = Path(staging_root) / run_id
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self._owner = run_owner.claim(self.run_dir)
        with open(self.run_dir / "reserve", "wb") as fh:
            fh.write(b"\0" * RESERVE_BYTES)
            os.fsync(fh.fileno())
        self.failure: str | None = None
        """Why staging stopped (the first failed write), None while every write succeeded."""
        self.run_id = run_id
        self.batch_size = batch_size
        # Buffered rows are kept column by column: far fewer Python objects than one dict per row.
        self._columns: dict[str, dict[str, list]] = {t: {n: [] for n in SCHEMAS[t].names} for t in SCHEMAS}
        self._buffered: dict[str, int] = {t: 0 for t in SCHEMAS}
        self._seq: dict[str, int] = {t: 0 for t in SCHEMAS}
        self._journals: dict[str, typing.BinaryIO] = {}
        self.counts: dict[str, int] = {t: 0 for t in SCHEMAS}

    def add(self, table: str, row: dict) -> None:
        """Journal ``row`` and buffer it for its Parquet batch. ``StagingWriteError`` when the row could not be
        written (or staging stopped before); when only its batch's Parquet file failed, the row is stored (in
        the journal) and ``failure`` is set."""
        if self.failure is not None:
            raise StagingWriteError(f"staging stopped: {self.failure}")
        line = (json.dumps(row, ensure_ascii=False, default=str) + "\n").encode("utf-8")
        try:
            journal = self._journals.get(table)
            if journal is None:
                # unbuffered: each line reaches the operating system at once, and a failed write leaves no
                # buffered remainder that a later flush could append
                journal = open(self.run_dir / f"{table}-{self._seq[table]:06d}.jsonl", "ab", buffering=0)  # noqa: SIM115
                self._journals[table] = journal
            before = journal.tell()
            try:
                _write_all(journal, line)
            except OSError:
                journal.truncate(before)  # no half line: the row is either in the journal or not stored
                raise
        except OSError as exc:
            self._failed(exc)
            raise StagingWriteError(f"staging write failed: {self.failure}") from exc
        for name, column in self._columns[table].items():
            column.append(row.get(name))
        self._buffered[table] += 1
        self.counts[table] += 1
        if self._buffered[table] >= self.batch_size:
            try:
                self._flush_table(table)
            except OSError as exc:
                # this row and its whole batch are in the journal (stored); staging stops here, and ``failure``
                # tells the caller
                self._failed(exc)

    def _failed(self, exc: OSError) -> None:
        """Stop staging and record why, in the space the reserve file kept for it."""
        self.failure = f"{type(exc).__name__}: {exc}"
        for leftover in self.run_dir.glob(".*.tmp"):
            _remove(leftover)
        (self.run_dir / "reserve").unlink(missing_ok=True)
        try:
            _write_json(self.run_dir / FAILURE_FILE, {"reason": f"staging write failed ({self.failure})",
                                                      "rows_staged": dict(self.counts)})
        except OSError:
            pass  # the reason still reaches the run through the pipeline and the crawl's stats

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
        """Write every buffered row as Parquet; ``StagingWriteError`` when a write fails (staging stops)."""
        if self.failure is not None:
            return  # the rows stay in their journals
        try:
            for table in list(self._columns):
                self._flush_table(table)
        except OSError as exc:
            self._failed(exc)
            raise StagingWriteError(f"staging write failed: {self.failure}") from exc

    def finish(self, run_row: dict) -> Path:
        """Flush everything (unless staging failed: then the journals hold the rows) and write ``run.json``:
        the run is complete and ready to ingest. Raises OSError when even ``run.json`` cannot be written (the
        next ingest then recovers the run, with the reason from ``failure.json``)."""
        if self.failure is None:
            self.flush()
        for journal in self._journals.values():
            journal.close()
        self._journals.clear()
        (self.run_dir / "reserve").unlink(missing_ok=True)
        _write_json(self.run_dir / "run.json", run_row)
        self.release()
        return self.run_dir

    def release(self) -> None:
        """Give up ownership of the folder (the run is finished, or this process is done with it)."""
        self._owner.close()


def _write_all(journal: typing.BinaryIO, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = journal.write(view)
        if not written:
            raise OSError(28, "no bytes written")
        view = view[written:]


def _write_json(path: Path, value: dict) -> None:
    """Write a small JSON file atomically (temp file, rename)."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(json.dumps(value, ensure_ascii=False, default=str, indent=1), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise


def write_parquet(run_dir: Path, table: str, seq: int, arrow: pa.Table) -> Path:
    """Write one batch atomically (temp file, fsync, rename)."""
    final = run_dir / f"{table}-{seq:06d}.parquet"
    tmp = run_dir / f".{table}-{seq:06d}.parquet.tmp"
    try:
        pq.write_table(arrow, tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, final)
    except BaseException:
        _remove(tmp)
        raise
    return final


def _remove(path: Path) -> None:
    """Remove a leftover temp file, never raising (the error being handled matters more)."""
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass


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
    recovered = journals_to_parquet(run_dir)
    (run_dir / "reserve").unlink(missing_ok=True)
    _write_json(run_dir / "run.json", run_row)
    return recovered


def staged_failure(run_dir: Path) -> str | None:
    """Why the run's staging stopped (``failure.json``), None when it did not."""
    try:
        return str(json.loads((run_dir / FAILURE_FILE).read_text("utf-8"))["reason"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def journals_to_parquet(run_dir: Path) -> int:
    """Turn the journals left in ``run_dir`` (rows never batched: a crash, a write failure) into Parquet.

    Returns the number of rows recovered."""
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
    return recovered


def recover_crashed_run(run_dir: Path) -> int:
    """Close a crashed run as ``failed`` so what it staged is ingested, not lost."""
    run_id = run_dir.name
    marketplace = run_id.split("-", 1)[0]
    started = None
    stamp = run_id.split("-")[1] if run_id.count("-") >= 2 else ""
    try:
        started = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").isoformat()
    except ValueError:
        started = datetime.now(UTC).replace(tzinfo=None).isoformat()
    died = "crawl process died before the run finished; staged rows kept"
    failure = staged_failure(run_dir)  # a write failure recorded before the process died is the real reason
    row = {"run_id": run_id, "marketplace": marketplace, "started_at": started, "finished_at": None,
           "status": "failed", "status_reasons": f"{failure}; {died}" if failure else died, "replay": None}
    recovered = recover_run(run_dir, row)
    logging.getLogger(__name__).warning("recovered crashed run %s (%d journaled rows)", run_id, recovered)
    return recovered
