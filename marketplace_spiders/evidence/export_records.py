"""The archived records of an export bundle: which record each row rests on, and their copy into the bundle.

``scrapy evidence export`` (``export``) reads the listing's rows from the database; this module finds the archived
record behind each row (``record_pointers``), checks each against its run's signed records index, copies the raw
gzip members byte for byte, the runs' proof files and the screenshots into the bundle, and writes
``evidence.wacz`` (``write_records``). Apart from export.py because this half works on the archive files, not the
database, and each half stays readable on its own; ``ExportError`` and ``ListingRows`` are defined here (export.py
imports them) so the dependency runs one way.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from marketplace_spiders.sql import query


class ExportError(Exception):
    """The bundle cannot be written; the message names the listing, run, record or file that is missing."""


@dataclass
class ListingRows:
    """What the database says about one listing in the window: the query results, as dicts."""

    listing: dict[str, Any]
    observations: list[dict[str, Any]]
    claims: list[dict[str, Any]]
    descriptions: list[dict[str, Any]]


def _dicts(cur: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    columns = [d[0] for d in cur.description]
    return [dict(zip(columns, row, strict=True)) for row in cur.fetchall()]


def _pointer(found: list[dict[str, Any]], sha256: str | None, run_id: str | None) -> dict[str, Any] | None:
    """The archived fetch with body ``sha256``: of ``run_id`` if given (the observation's own run), else the
    earliest archived one (a description is stored once, from the run that first fetched it)."""
    for row in found:
        if row["response_sha256"] == sha256 and row["warc_file"] and (run_id is None or row["run_id"] == run_id):
            return row
    return None


def record_pointers(con: duckdb.DuckDBPyConnection, marketplace: str, rows: ListingRows) -> None:
    """Attach to every observation the archived record it was parsed from (``record_ptr``) and that of its
    seller observation (``seller_ptr``), and to every description version its content record (``record_ptr``).
    A row without an archived record is an ExportError naming it: a bundle never cites what it does not hold."""
    wanted = {o["response_sha256"] for o in rows.observations} | {
        o["seller_response_sha256"] for o in rows.observations if o.get("seller_response_sha256")} | {
        d["response_sha256"] for d in rows.descriptions if d.get("response_sha256")}
    try:
        found = _dicts(con.execute(query("evidence_records"), [marketplace, sorted(w for w in wanted if w)]))
    except duckdb.BinderException as exc:
        raise ExportError("the database has no evidence pointers (fetches.warc_file): it was written before the "
                          f"evidence archive existed, so no record can be exported ({exc})") from None
    missing = []
    for obs in rows.observations:
        obs["record_ptr"] = _pointer(found, obs["response_sha256"], obs["run_id"])
        if obs["record_ptr"] is None:
            missing.append(f"observation of {obs['observed_at']:%Y-%m-%d %H:%M:%S} (run {obs['run_id']}, response "
                           f"sha256 {obs['response_sha256']})")
        obs["seller_ptr"] = None
        if obs.get("seller_response_sha256"):
            obs["seller_ptr"] = _pointer(found, obs["seller_response_sha256"], obs["seller_run_id"])
            if obs["seller_ptr"] is None:
                missing.append(f"seller {obs['seller_id']} observation of run {obs['seller_run_id']} (response "
                               f"sha256 {obs['seller_response_sha256']})")
    for desc in rows.descriptions:
        desc["record_ptr"] = _pointer(found, desc.get("response_sha256"), None)
        if desc["record_ptr"] is None:
            missing.append(f"description {desc['description_hash']} (response sha256 {desc.get('response_sha256')})")
    if missing:
        raise ExportError(f"listing {marketplace} {rows.listing['product_id']}: no archived record of "
                          + "; ".join(dict.fromkeys(missing))
                          + " (crawled before archiving, or with EVIDENCE_ARCHIVE off; --since can leave such "
                            "observations out)")


@dataclass
class RunRecords:
    """The records of one run that go into the bundle, and where they come from."""

    run_id: str
    folder: Path
    records: dict[tuple[str, int], dict[str, Any]]  # (source warc_file, offset) -> index entry + roles
    screenshots: dict[tuple[str, int], dict[str, Any]]


@dataclass
class Written:
    records: list[dict[str, Any]]
    runs: list[dict[str, Any]]
    screenshots: list[dict[str, Any]]


def _run_index(folder: Path, kind: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    from marketplace_spiders.evidence import package

    if not folder.is_dir():
        raise ExportError(f"the archive of run {folder.name} is missing: no folder {folder}"
                          + ("" if folder.parents[1].is_dir() else
                             f" (no evidence archive at {folder.parents[1]}: set EVIDENCE_DIR if it was moved)"))
    sidecar = package.packaged(folder, kind)
    if sidecar is None:
        missing = package.sidecar_path(package.package_path(folder, kind))
        raise ExportError(f"run {folder.name} is not packaged (no {missing}):"
                          f" run `scrapy evidence package --run {folder.name}` first, so its records can be proven")
    wacz = package.package_path(folder, kind)
    try:
        index = package.load_records_index(package.read_package_file(wacz, package.RECORDS_INDEX))
    except (OSError, KeyError, ValueError) as exc:
        raise ExportError(f"run {folder.name}: cannot read the records index of {wacz} ({exc})") from None
    return sidecar, index


def _collect(root: Path, marketplace: str, rows: ListingRows) -> dict[str, RunRecords]:
    """The records to export, per run: each pointer checked against its run's records index."""
    from marketplace_spiders.evidence.store import run_folder

    runs: dict[str, RunRecords] = {}
    indexes: dict[str, dict[str, dict[str, Any]]] = {}

    def add(pointer: dict[str, Any], role: str) -> dict[str, Any]:
        run_id = pointer["run_id"]
        if run_id not in runs:
            folder = run_folder(root, marketplace, run_id)
            _sidecar, index = _run_index(folder, "main")
            indexes[run_id] = {e["record_id"]: e for e in index}
            runs[run_id] = RunRecords(run_id, folder, {}, {})
        entry = indexes[run_id].get(pointer["warc_record_id"])
        if entry is None:
            raise ExportError(f"record {pointer['warc_record_id']} ({pointer['warc_file']}) is not in the records "
                              f"index of run {run_id}'s package")
        key = (entry["warc_file"], entry["offset"])
        record = runs[run_id].records.setdefault(key, {**entry, "roles": []})
        if role not in record["roles"]:
            record["roles"].append(role)
        return record

    for obs in rows.observations:
        obs["record"] = add(obs["record_ptr"], "observation")
        obs["seller_record"] = add(obs["seller_ptr"], "seller") if obs.get("seller_ptr") else None
    by_hash = {}
    for desc in rows.descriptions:
        desc["record"] = by_hash[desc["description_hash"]] = add(desc["record_ptr"], "description")
    for obs in rows.observations:
        obs["description_record"] = by_hash.get(obs.get("description_hash"))
    for run in runs.values():
        for entry in indexes[run.run_id].values():  # each contributing WARC file's warcinfo: how it was made
            if entry["type"] == "warcinfo" and entry["warc_file"] in {f for f, _o in run.records}:
                run.records.setdefault((entry["warc_file"], entry["offset"]), {**entry, "roles": ["warcinfo"]})
        _collect_screenshots(run, rows)
    return runs


def _collect_screenshots(run: RunRecords, rows: ListingRows) -> None:
    """The screenshots of the run's pages of this listing (``urn:screenshot:<page url>``), if the run has a
    screenshots package (none for API responses, replays, or after retention removed them)."""
    from marketplace_spiders.evidence import package

    if package.packaged(run.folder, "screenshots") is None:
        return
    pages = {f"urn:screenshot:{u}" for o in rows.observations if o["run_id"] == run.run_id
             for u in (o.get("fetch_url"), o.get("url")) if u}
    _sidecar, index = _run_index(run.folder, "screenshots")
    shots = [e for e in index if e["type"] == "resource" and e.get("target_uri") in pages]
    files = {e["warc_file"] for e in shots}
    for entry in index:
        if entry in shots or (entry["type"] == "warcinfo" and entry["warc_file"] in files):
            run.screenshots[(entry["warc_file"], entry["offset"])] = {
                **entry, "roles": ["screenshot" if entry["type"] == "resource" else "warcinfo"]}


def _copy_members(root: Path, marketplace: str, run: RunRecords, kind: str, target: Path) -> list[dict[str, Any]]:
    """Write the run's records (raw gzip members, checked against the index) into ``target``; their entries."""
    from marketplace_spiders.evidence.store import EvidenceMissing, read_member

    chosen = run.records if kind == "main" else run.screenshots
    written, offset = [], 0
    with open(target, "wb") as out:
        for (warc_file, source_offset), entry in sorted(chosen.items()):
            path = f"{marketplace}/{run.run_id}/{warc_file}"
            try:
                raw = read_member(root, path, source_offset, entry["length"])
            except EvidenceMissing as exc:
                raise ExportError(f"record {entry['record_id']}: {exc}") from None
            if hashlib.sha256(raw).hexdigest() != entry["member_sha256"]:
                raise ExportError(f"record {entry['record_id']} at {path} offset {source_offset}: its bytes do not "
                                  "match the run's records index (the archive is damaged); nothing exported")
            out.write(raw)
            digest = entry.get("payload_digest") or ""
            written.append({
                "run_id": run.run_id, "warc_record_id": entry["record_id"], "type": entry["type"],
                "target_uri": entry.get("target_uri"), "date": entry.get("date"), "roles": entry["roles"],
                "member_sha256": entry["member_sha256"],
                "payload_sha256": digest.removeprefix("sha256:") if digest.startswith("sha256:") else None,
                "export_warc_file": f"archive/{target.name}", "export_offset": offset, "export_length": len(raw),
                "source_warc_file": warc_file, "source_offset": source_offset, "screenshot": kind != "main",
                "_raw": raw})
            offset += len(raw)
    return written


def _copy_proofs(run: RunRecords, kind: str, target: Path) -> dict[str, Any]:
    """The run package's proof files (exact bytes) into ``target``; the run's entry of the manifest."""
    from marketplace_spiders.evidence import package

    sidecar = package.packaged(run.folder, kind)
    wacz = package.package_path(run.folder, kind)
    target.mkdir(parents=True, exist_ok=True)
    for name, inside in (("datapackage.json", "datapackage.json"), ("datapackage-digest.json",
                                                                     "datapackage-digest.json"),
                         ("records.jsonl", package.RECORDS_INDEX)):
        (target / name).write_bytes(package.read_package_file(wacz, inside))
    for path in package.proof_files(run.folder, kind):
        if not path.is_file():
            raise ExportError(f"run {run.run_id}: {path} is named in the package's sidecar but missing")
        shutil.copyfile(path, target / path.name)
    return {"package": wacz.name, "package_sha256": sidecar.get("package_sha256"),
            "datapackage_sha256": sidecar.get("datapackage_sha256"), "tokens": sidecar.get("tokens", []),
            "unsigned": sidecar.get("unsigned")}


def write_wacz(warcs: list[Path], target: Path, title: str, pages: list[dict[str, str]]) -> None:
    """``wacz create`` (sha256) of ``warcs`` into ``target``, with ``pages`` (url, ts, title: the product pages a
    WACZ viewer such as ReplayWeb.page lists); an ExportError with its output if it fails."""
    import contextlib
    import io

    from wacz.main import main as wacz_main

    args = ["create", "-o", str(target), "--hash-type", "sha256", "--title", title]
    if pages:
        pages_file = warcs[0].with_name("pages.jsonl")
        header = {"format": "json-pages-1.0", "id": "pages", "title": "Pages"}
        pages_file.write_text("".join(json.dumps(line) + "\n" for line in [header, *pages]), "utf-8")
        args += ["-p", str(pages_file)]
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        code = wacz_main([*args, *map(str, warcs)])
    if code != 0:
        raise ExportError(f"{target.name}: wacz create failed: {output.getvalue()[-500:]}")


def write_records(root: Path, marketplace: str, rows: ListingRows, folder: Path) -> Written:
    """evidence.wacz and proofs/ of the bundle being written in ``folder``."""
    from marketplace_spiders.evidence.store import parse_member

    runs = _collect(root, marketplace, rows)
    work = folder / ".warc"
    work.mkdir()
    records, run_entries, screenshots, warcs = [], [], [], []
    for run in runs.values():
        main_warc = work / f"{run.run_id}.warc.gz"
        records += _copy_members(root, marketplace, run, "main", main_warc)
        warcs.append(main_warc)
        entry = {"run_id": run.run_id, "proofs": f"proofs/{run.run_id}",
                 **_copy_proofs(run, "main", folder / "proofs" / run.run_id)}
        if run.screenshots:
            shots_warc = work / f"{run.run_id}-screenshots.warc.gz"
            shot_records = _copy_members(root, marketplace, run, "screenshots", shots_warc)
            warcs.append(shots_warc)
            records += shot_records
            entry["screenshots"] = _copy_proofs(run, "screenshots", folder / "proofs" / run.run_id / "screenshots")
            for rec in shot_records:
                if rec["type"] == "resource":
                    _record, payload = parse_member(rec["_raw"])
                    screenshots.append({"run_id": run.run_id, "target_uri": rec["target_uri"], "date": rec["date"],
                                        "warc_record_id": rec["warc_record_id"], "png": payload})
        run_entries.append(entry)
    copied = {r["warc_record_id"]: r for r in records}
    for row in (*rows.observations, *rows.descriptions):  # index entries -> where each record is, for the manifest
        for key in ("record", "seller_record", "description_record"):
            ref = row.get(key)
            if ref is not None:
                record = copied[ref["record_id"]]
                row[key] = {"warc_record_id": ref["record_id"], "run_id": record["run_id"],
                            "source_warc_file": f"{marketplace}/{record['run_id']}/{ref['warc_file']}",
                            "export_warc_file": record["export_warc_file"], "payload_sha256": record["payload_sha256"],
                            "target_uri": record["target_uri"], "date": record["date"]}
    product_id = rows.listing["product_id"]
    # a viewer's page list: the rendered product pages (API responses are not pages); titles are ours, not the
    # seller's, so no seller-written text reaches a viewer's page list
    pages = [{"url": o["record"]["target_uri"], "ts": o["record"]["date"],
              "title": f"{marketplace} {product_id} observed {o['observed_at']:%Y-%m-%d %H:%M} UTC"}
             for o in rows.observations if o.get("fetch_page_type") == "product_page"]
    write_wacz(warcs, folder / "evidence.wacz", f"evidence of {marketplace} {product_id}", pages)
    shutil.rmtree(work)
    for rec in records:
        rec.pop("_raw")
    return Written(records, run_entries, screenshots)
