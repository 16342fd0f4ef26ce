"""`scrapy evidence export`: the evidence bundle of one listing, for publication.

    scrapy evidence export --marketplace wildberries --product-id 201111001 --out bundles/201111001 \
        [--since 2026-11-01] [--until 2026-11-30] [--db data/marketplace.duckdb]

A bundle is a folder a journalist can hand to an editor, a lawyer or a UN panel (layout: /tmp/notes/bundle_layout.md,
checked by ``scrapy evidence verify <bundle>``):

- ``evidence.wacz``: the archived WARC records behind every observation (the response it was parsed from, the
  seller record its legal identity came from, the content record of each description version, the screenshots
  of the product page, and each run's ``warcinfo``). The records' raw gzip members are copied byte for byte from
  the runs' archives (``store.read_member``), never re-serialised, so their record ids, digests and bytes are
  the originals and each can be checked against its run's signed index;
- ``manifest.json`` / ``manifest.csv``: every observation (run, time, price, stock, seller and its legal
  identity, claims, verdict) with the record id, WARC file and sha256 it rests on;
- ``proofs/<run_id>/``: each contributing run's package index, ``datapackage.json`` and timestamp tokens;
- ``dossier.html``: the readable, self-contained page (``evidence.dossier``).

The bundle is written into a hidden sibling folder and renamed into place only when every part is written, so
an export that fails (unknown listing, records not archived, a run not packaged, an archive file missing or
damaged) leaves nothing that looks like a bundle, and says what is missing.

This module is the command, the database rows and the manifest; what is read from and written to the archives
(record pointers, run indexes, the copied records, proofs, evidence.wacz) is ``export_records``.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from marketplace_spiders.evidence import dossier
from marketplace_spiders.evidence.export_records import ExportError, ListingRows, _dicts, record_pointers, write_records
from marketplace_spiders.sql import query

FORMAT = "dprk-monitor-evidence-bundle/1"
CSV_COLUMNS = ("run_id", "observed_at", "run_status", "run_replay", "listing_status", "title", "price", "currency",
               "in_stock", "stock_qty", "seller_id", "seller_name", "seller_legal_name", "seller_inn", "seller_ogrn",
               "seller_run_id", "seller_warc_record_id", "verdict", "claims", "description_hash",
               "description_warc_record_id", "warc_record_id", "source_warc_file", "export_warc_file",
               "response_sha256", "url")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # OWASP CSV injection (as analysis/outputs.py)


def parse_when(text: str | None, *, end: bool = False) -> datetime | None:
    """A ``--since``/``--until`` value as a naive UTC datetime: a date (``2026-11-01``) or a time
    (``2026-11-01T06:00``, with or without offset). A date given as ``end`` means the end of that day, so
    ``--until 2026-11-15`` includes observations of the 15th. ``--until`` is exclusive."""
    if not text:
        return None
    try:
        if len(text) == 10:
            day = datetime.combine(date.fromisoformat(text), datetime.min.time())
            return day + timedelta(days=1) if end else day
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ExportError(f"{'--until' if end else '--since'} {text!r} is not a date (YYYY-MM-DD) "
                          "or a time (YYYY-MM-DDTHH:MM[:SS][+HH:MM])") from None
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def read_listing(con: duckdb.DuckDBPyConnection, marketplace: str, product_id: str,
                 since: datetime | None = None, until: datetime | None = None) -> ListingRows:
    """The listing's rows in [since, until); an ExportError for an unknown listing or an empty window."""
    params = [marketplace, product_id, since, until]
    found = _dicts(con.execute(query("evidence_listing"), params))
    if not found:
        raise ExportError(f"no listing {marketplace} {product_id} in the database")
    listing = found[0]
    if not listing["observations_in_window"]:
        raise ExportError(f"listing {marketplace} {product_id} has {listing['observations']} observation(s), "
                          f"none in the window {since or 'start'} to {until or 'end'}")
    return ListingRows(listing=listing,
                       observations=_dicts(con.execute(query("evidence_observations"), params)),
                       claims=_dicts(con.execute(query("evidence_claims"), params)),
                       descriptions=_dicts(con.execute(query("evidence_descriptions"), params)))


def seller_identities(observations: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each distinct legal identity the listing's seller(s) showed (with the seller observation's record), in
    the order first shown, with the runs of the observations that carried it."""
    keys = ("seller_id", "seller_storefront_name", "seller_name", "seller_legal_name", "seller_inn", "seller_ogrn",
            "seller_legal_address", "seller_run_id", "seller_response_sha256")
    found: dict[tuple, dict[str, Any]] = {}
    for obs in observations:
        if not obs.get("seller_id"):
            continue
        key = tuple(obs.get(k) for k in keys)
        entry = found.setdefault(key, {**{k: obs.get(k) for k in keys}, "runs": [],
                                       "record": obs.get("seller_record")})
        if obs["run_id"] not in entry["runs"]:
            entry["runs"].append(obs["run_id"])
    return list(found.values())


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    return value


def manifest_observation(obs: dict[str, Any]) -> dict[str, Any]:
    """One observation as the manifest states it (JSON values; money as decimal strings, times UTC ISO 8601)."""
    record, seller, description = obs.get("record") or {}, obs.get("seller_record") or {}, \
        obs.get("description_record") or {}
    row = {k: obs.get(k) for k in (
        "run_id", "observed_at", "run_status", "run_replay", "listing_status", "url", "title", "brand",
        "seller_id", "seller_name", "price", "price_before_discount", "currency", "in_stock", "stock_qty",
        "stock_capped", "country_of_origin", "manufacturer", "seller_run_id", "seller_legal_name", "seller_inn",
        "seller_ogrn", "seller_legal_address", "seller_response_sha256", "text_key", "verdict", "reasons",
        "product_ids", "claims", "description_hash", "response_sha256", "fetch_url", "fetch_page_type",
        "derivation", "parser_version")}
    row.update({"warc_record_id": record.get("warc_record_id"), "source_warc_file": record.get("source_warc_file"),
                "export_warc_file": record.get("export_warc_file"),
                "seller_warc_record_id": seller.get("warc_record_id"),
                "description_warc_record_id": description.get("warc_record_id"),
                "description_response_sha256": description.get("payload_sha256")})
    return _json_value(row)


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        value = "; ".join(f"{v['category']}: {v['matched_text']} ({v['field']})" if isinstance(v, dict) else str(v)
                          for v in value)
    text = str(value)
    return "'" + text if isinstance(value, str) and text.startswith(FORMULA_START) else text


def write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    """``manifest.json`` (everything) and ``manifest.csv`` (one flat row per observation, formulas neutralised:
    a title starting with ``=`` is text in a spreadsheet)."""
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", "utf-8")
    with open(folder / "manifest.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for obs in manifest["observations"]:
            writer.writerow([_csv_cell(obs.get(c)) for c in CSV_COLUMNS])


@dataclass
class ExportRequest:
    """One export: the listing, the window and where things are."""

    db: Path
    marketplace: str
    product_id: str
    out: Path
    since: datetime | None = None
    until: datetime | None = None
    evidence_dir: str | None = None
    settings: Any = None


def export_listing(request: ExportRequest) -> Path:
    """Write the bundle of ``request`` into ``request.out`` (which must not exist or be empty) and return it."""
    from marketplace_spiders.evidence.package import sha256_file
    from marketplace_spiders.storage.database import Database

    out = Path(request.out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ExportError(f"{out} exists and is not an empty folder: choose a new --out")
    if not Path(request.db).is_file():
        raise ExportError(f"no database at {request.db}")
    with Database.from_settings(request.settings, path=request.db).session(read_only=True) as con:
        rows = read_listing(con, request.marketplace, request.product_id, request.since, request.until)
        record_pointers(con, request.marketplace, rows)
    partial = out.with_name(f".{out.name}.partial-{os.getpid()}")
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir(parents=True)
    try:
        root = evidence_root_of(request)
        written = write_records(root, request.marketplace, rows, partial)
        generated_at = datetime.now(UTC).replace(tzinfo=None)
        manifest = {
            "format": FORMAT,
            "generated_at": _json_value(generated_at),
            "software": software(),
            "listing": _json_value({k: rows.listing[k] for k in ("marketplace", "product_id", "url", "first_seen",
                                                                  "last_seen")}),
            "window": {"since": _json_value(request.since), "until": _json_value(request.until),
                       "until_exclusive": True},
            "records": written.records,
            "runs": written.runs,
            "observations": [manifest_observation(o) for o in rows.observations],
            "claims": _json_value(rows.claims),
            "descriptions": _json_value([{k: v for k, v in d.items() if k not in ("record", "record_ptr")} | {
                "warc_record_id": (d.get("record") or {}).get("warc_record_id")} for d in rows.descriptions]),
            "files": {},
        }
        page = dossier.render_dossier(dossier.DossierInput(
            listing=rows.listing, observations=rows.observations, claims=rows.claims,
            descriptions=rows.descriptions, sellers=seller_identities(rows.observations),
            generated_at=generated_at, window=(request.since, request.until),
            screenshots=written.screenshots, runs=written.runs, software=manifest["software"]))
        (partial / "dossier.html").write_text(page, "utf-8")
        manifest["files"] = {p.relative_to(partial).as_posix(): sha256_file(p)
                             for p in sorted(partial.rglob("*")) if p.is_file()}
        write_manifest(partial, manifest)
        if out.exists():
            out.rmdir()
        partial.rename(out)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return out


def evidence_root_of(request: ExportRequest) -> Path:
    """The evidence root: ``request.evidence_dir``, else EVIDENCE_DIR of the settings, else ``<db>.evidence``."""
    from marketplace_spiders.core_config import EvidenceConfig
    from marketplace_spiders.evidence.store import evidence_root

    if request.evidence_dir:
        return evidence_root(request.db, request.evidence_dir)
    return EvidenceConfig.from_settings(request.settings).root(request.db)


def software() -> str:
    from marketplace_spiders.evidence.archive import software_version

    return software_version()


def main(opts: Any) -> int:
    """``scrapy evidence export`` (dispatched by commands/evidence.py): ``opts`` has marketplace, product_id,
    out, and optionally since, until, db, evidence_dir, settings. Prints the bundle; exit 0, or 1 with the
    reason on stderr."""
    import sys

    from marketplace_spiders.storage.database import Database, DatabaseLocked, DatabaseUnreadable

    settings = getattr(opts, "settings", None)
    try:
        db = getattr(opts, "db", None) or Database.from_settings(settings).path
        request = ExportRequest(
            db=Path(db), marketplace=opts.marketplace, product_id=str(opts.product_id), out=Path(opts.out),
            since=parse_when(getattr(opts, "since", None)), until=parse_when(getattr(opts, "until", None), end=True),
            evidence_dir=getattr(opts, "evidence_dir", None), settings=settings)
        out = export_listing(request)
    except (ExportError, DatabaseLocked, DatabaseUnreadable, duckdb.Error) as exc:
        print(f"evidence export: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # disk full, permissions: the partial bundle was removed
        print(f"evidence export: could not write the bundle {opts.out}: {exc}", file=sys.stderr)
        return 1
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    print(f"bundle {out}: {len(manifest['observations'])} observation(s), {len(manifest['records'])} record(s) "
          f"from {len(manifest['runs'])} run(s); open {out / 'dossier.html'}; check it with "
          f"`scrapy evidence verify {out}`")
    return 0
