"""`scrapy evidence verify <run folder | .wacz | export bundle>`: recompute every digest, check every token.

Why: evidence is only worth what a third party can check without trusting the monitor. This check recomputes,
from the bytes alone: every zip entry of a package against its ``datapackage.json``; ``datapackage.json`` against
``datapackage-digest.json`` and the sidecar; every WARC record's gzip member against the records index, and its
block and payload digests (warcio); every timestamp token's message imprint and signature (and the chain to a
trusted root when ``--tsa-roots`` names one). For an export bundle it follows the proof chain of each exported
record: member bytes -> the run's ``records.jsonl`` -> ``datapackage.json`` -> token. A single changed byte
anywhere fails, naming the file, and the record id and offset where there is one (exit code 1).
"""

from __future__ import annotations

import hashlib
import json
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from marketplace_spiders.evidence import timestamp
from marketplace_spiders.evidence.package import (
    CHUNK,
    RECORDS_INDEX,
    check_member,
    load_records_index,
    record_spans,
    sha256_file,
)
from marketplace_spiders.evidence.store import StoredEntry


@dataclass
class Failure:
    file: str
    message: str
    record_id: str | None = None
    offset: int | None = None

    def __str__(self) -> str:
        where = self.file
        if self.record_id:
            where += f" record {self.record_id}"
        if self.offset is not None:
            where += f" at offset {self.offset}"
        return f"{where}: {self.message}"


@dataclass
class VerifyReport:
    target: Path
    checked: list[str] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    signatures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    records: int = 0
    tokens_verified: int = 0

    @property
    def ok(self) -> bool:
        return not self.failures and bool(self.checked)

    def fail(self, file: str, message: str, record_id: str | None = None, offset: int | None = None) -> None:
        self.failures.append(Failure(file, message, record_id, offset))

    def render(self) -> str:
        lines = [f"Evidence check of {self.target}", ""]
        lines += [f"  checked: {item}" for item in self.checked]
        lines.append(f"  WARC records checked: {self.records}")
        lines += [f"  {line}" for line in self.signatures]
        lines += [f"  note: {note}" for note in self.notes]
        lines.append("")
        if self.ok:
            lines.append("RESULT: OK - every digest matches" + (f"; {self.tokens_verified} timestamp token(s) verify"
                                                                 if self.tokens_verified else "; UNSIGNED"))
        else:
            lines.append(f"RESULT: FAILED - {len(self.failures) or 'nothing'} problem(s)" if self.failures
                         else "RESULT: FAILED - nothing to check found")
            lines += [f"  FAIL {failure}" for failure in self.failures]
        return "\n".join(lines)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------------------- WARC records
def _check_records(report: VerifyReport, where: str, open_handle: Any, size: int,
                   index: list[dict[str, Any]] | None, known: dict[str, dict[str, Any]] | None = None
                   ) -> dict[str, dict[str, Any]]:
    """Check every record of one WARC; ``index``: the package's entries of this file (offsets given), else the
    records are framed by warcio and looked up by id in ``known`` (a bundle's run indexes). Returns the records
    seen, by id: {offset, length, member_sha256, payload_digest}."""
    seen: dict[str, dict[str, Any]] = {}
    spans: list[tuple[int, int, dict[str, Any] | None]] = []
    if index is not None:
        end = 0
        for entry in index:
            if entry["offset"] != end:
                report.fail(where, f"records index leaves bytes {end}..{entry['offset']} unaccounted for",
                            entry["record_id"], entry["offset"])
            spans.append((entry["offset"], entry["length"], entry))
            end = entry["offset"] + entry["length"]
        if end != size:
            report.fail(where, f"file is {size} bytes but its records index covers {end}")
    else:
        end = 0
        try:
            with open_handle() as framing:
                for offset, length in record_spans(framing):
                    spans.append((offset, length, None))
                    end = offset + length
        except Exception as exc:  # noqa: BLE001 (corrupt bytes)
            report.fail(where, f"unreadable bytes after the last readable record: {type(exc).__name__}", None, end)
    with open_handle() as raw:
        for offset, length, entry in spans:
            raw.seek(offset)
            data = raw.read(length)
            report.records += 1
            expected_id = entry["record_id"] if entry else None
            if entry and _sha(data) != entry["member_sha256"]:
                report.fail(where, "record bytes differ from the sha256 in the records index", expected_id, offset)
            fields, problems = check_member(data)
            record_id = fields.get("record_id") or expected_id
            for problem in problems:
                report.fail(where, problem, record_id, offset)
            if entry and fields and fields["record_id"] != expected_id:
                report.fail(where, f"record id {fields['record_id']} differs from the index", expected_id, offset)
            if known is not None and record_id:
                proof = known.get(record_id)
                if proof is None:
                    report.fail(where, "record is in no run's records index (cannot be proven)", record_id, offset)
                elif proof["member_sha256"] != _sha(data):
                    report.fail(where, f"record bytes differ from run {proof['_run']}'s records index", record_id,
                                offset)
            if record_id:
                seen[record_id] = {"offset": offset, "length": length, "member_sha256": _sha(data),
                                   "payload_digest": fields.get("payload_digest")}
    return seen


# ---------------------------------------------------------------------------- packages
def _check_tokens(report: VerifyReport, label: str, datapackage_bytes: bytes, folder: Path, sidecar: dict | None,
                  token_files: list[Path], roots: list | None) -> None:
    digest = hashlib.sha256(datapackage_bytes).digest()
    if not token_files:
        reason = (sidecar or {}).get("unsigned") or "no timestamp token found"
        report.signatures.append(f"{label}: UNSIGNED ({reason}); its digest is checked, its time is not proven")
        return
    for path in token_files:
        if not path.is_file():
            report.fail(path.name, "timestamp token listed in the sidecar is missing")
            continue
        check = timestamp.verify_token(path.read_bytes(), digest, roots)
        if not check.ok:
            report.fail(path.name, f"timestamp token does not verify: {check.error}")
            continue
        url = next((t["tsa_url"] for t in (sidecar or {}).get("tokens", []) if t.get("file") == path.name), "")
        chain = ("chain verified against the trusted roots given" if check.chain_checked else
                 "signature checked against the certificate inside the token only; the chain was NOT checked "
                 "against a trusted root (give --tsa-roots)")
        report.tokens_verified += 1
        report.signatures.append(f"{label}: signed by {check.tsa_name}{f' ({url})' if url else ''} at "
                                 f"{check.gen_time}; {chain}")
    report.checked.append(f"{label}: {len(token_files)} timestamp token(s) over sha256(datapackage.json)")


def _check_datapackage(report: VerifyReport, label: str, datapackage_bytes: bytes, digest_bytes: bytes | None,
                       sidecar: dict | None) -> dict[str, Any] | None:
    try:
        datapackage = json.loads(datapackage_bytes)
    except ValueError as exc:
        report.fail(f"{label} datapackage.json", f"not JSON ({exc})")
        return None
    digest = f"sha256:{_sha(datapackage_bytes)}"
    if digest_bytes is not None:
        try:
            listed = json.loads(digest_bytes).get("hash")
        except ValueError:
            listed = None
        if listed != digest:
            report.fail(f"{label} datapackage.json", "sha256 differs from datapackage-digest.json")
    if sidecar is not None and sidecar.get("datapackage_sha256") != digest.removeprefix("sha256:"):
        report.fail(f"{label} datapackage.json", "sha256 differs from the sidecar's datapackage_sha256")
    return datapackage


def _sidecar(path: Path, report: VerifyReport) -> dict | None:
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        report.fail(path.name, f"sidecar is not JSON ({exc})")
        return None


def _token_files(wacz_name: str, folder: Path, sidecar: dict | None) -> list[Path]:
    listed = [folder / t["file"] for t in (sidecar or {}).get("tokens", [])]
    on_disk = sorted(folder.glob(f"{wacz_name}.*.tsr"))
    return listed + [p for p in on_disk if p not in listed]


def verify_wacz(wacz_path: Path, report: VerifyReport, roots: list | None,
                known: dict[str, dict[str, Any]] | None = None,
                framing: dict[str, list[dict[str, Any]]] | None = None) -> dict[str, dict[str, Any]]:
    """Check one WACZ (and its sidecar and tokens beside it); returns the records seen by id. In a bundle,
    ``known`` holds the runs' records indexes and ``framing`` the manifest's offsets per exported WARC file."""
    name = wacz_path.name
    sidecar = _sidecar(wacz_path.with_name(name + ".json"), report)
    if sidecar and sidecar.get("package_sha256") != sha256_file(wacz_path):
        report.fail(name, "package sha256 differs from its sidecar")
    seen: dict[str, dict[str, Any]] = {}
    try:
        wacz = zipfile.ZipFile(wacz_path)
    except (zipfile.BadZipFile, OSError) as exc:
        report.fail(name, f"not a readable zip ({exc})")
        return seen
    with wacz:
        try:
            datapackage_bytes = wacz.read("datapackage.json")
            digest_bytes = wacz.read("datapackage-digest.json") if "datapackage-digest.json" in wacz.namelist() \
                else None
        except (KeyError, zipfile.BadZipFile, zlib.error) as exc:
            report.fail(f"{name} datapackage.json", f"missing or unreadable ({exc})")
            return seen
        datapackage = _check_datapackage(report, name, datapackage_bytes, digest_bytes, sidecar)
        if datapackage is None:
            return seen
        listed = {r.get("path"): r for r in datapackage.get("resources", [])}
        entries = {i.filename: i for i in wacz.infolist()}
        for path in listed:
            if path not in entries:
                report.fail(f"{name} {path}", "listed in datapackage.json but missing from the package")
        for info in entries.values():
            if info.filename in ("datapackage.json", "datapackage-digest.json") or info.is_dir():
                continue
            resource = listed.get(info.filename)
            hasher = hashlib.sha256()
            try:
                handle = StoredEntry(wacz_path, info) if info.compress_type == zipfile.ZIP_STORED else wacz.open(info)
                with handle:
                    while block := handle.read(CHUNK):
                        hasher.update(block)
            except Exception as exc:  # noqa: BLE001 (CRC or inflate errors from a changed byte)
                report.fail(f"{name} {info.filename}", f"unreadable ({type(exc).__name__}: {exc})")
                continue
            if resource is None:
                report.fail(f"{name} {info.filename}", "not listed in datapackage.json")
            elif resource.get("hash") != f"sha256:{hasher.hexdigest()}":
                report.fail(f"{name} {info.filename}", "sha256 differs from datapackage.json")
        report.checked.append(f"{name}: {len(entries)} zip entries against datapackage.json")
        index: list[dict[str, Any]] | None = None
        if RECORDS_INDEX in entries:
            try:
                index = load_records_index(wacz.read(RECORDS_INDEX))
            except (ValueError, zipfile.BadZipFile, zlib.error) as exc:
                report.fail(f"{name} {RECORDS_INDEX}", f"unreadable ({exc})")
        for info in entries.values():
            if not info.filename.startswith("archive/"):
                continue
            where = f"{name} {info.filename}"
            if info.compress_type != zipfile.ZIP_STORED:
                report.fail(where, "WARC entry is compressed in the zip (records cannot be read by offset)")
                continue
            basename = info.filename.removeprefix("archive/")
            own = [e for e in index if e["warc_file"] == basename] if index is not None else None
            if own is None and framing is not None:
                own = framing.get(info.filename)
            seen |= _check_records(report, where, lambda info=info: StoredEntry(wacz_path, info), info.file_size,
                                   own, known)
        report.checked.append(f"{name}: every WARC record's bytes, block and payload digests"
                              + (" and records-index sha256" if index is not None else ""))
        tokens = _token_files(name, wacz_path.parent, sidecar)
        if known is not None and not tokens:
            report.notes.append(f"{name} is not signed itself: each of its records is proven through its run's "
                                "records index, datapackage.json and token (proofs/)")
        else:
            _check_tokens(report, name, datapackage_bytes, wacz_path.parent, sidecar, tokens, roots)
    return seen


def verify_run_folder(folder: Path, report: VerifyReport, roots: list | None) -> None:
    packages = sorted(folder.glob("*.wacz"))
    for wacz in packages:
        verify_wacz(wacz, report, roots)
    loose = sorted(folder.glob("*.warc.gz"))
    for warc in loose:
        _check_records(report, warc.name, lambda warc=warc: open(warc, "rb"), warc.stat().st_size, None)
    if loose:
        report.checked.append(f"{len(loose)} loose WARC file(s): every record's block and payload digests")
        report.notes.append("loose WARC files are not packaged: no package digest, no timestamp covers them")


# ---------------------------------------------------------------------------- export bundles
def _proof_set(report: VerifyReport, folder: Path, package_name: str, run_id: str, roots: list | None,
               known: dict[str, dict[str, Any]]) -> None:
    """One package's proof files in a bundle: datapackage.json, datapackage-digest.json, records.jsonl, the
    sidecar and the tokens. Adds the provable records (id -> index entry) to ``known``."""
    label = f"{folder.name}/{package_name}" if folder.name != run_id else f"proofs/{run_id}/{package_name}"
    sidecar = _sidecar(folder / f"{package_name}.json", report)
    try:
        datapackage_bytes = (folder / "datapackage.json").read_bytes()
        index_bytes = (folder / "records.jsonl").read_bytes()
    except OSError as exc:
        report.fail(label, f"proof file missing ({exc})")
        return
    digest_path = folder / "datapackage-digest.json"
    digest_bytes = digest_path.read_bytes() if digest_path.is_file() else None
    datapackage = _check_datapackage(report, label, datapackage_bytes, digest_bytes, sidecar)
    if datapackage is None:
        return
    listed = {r.get("path"): r.get("hash") for r in datapackage.get("resources", [])}
    if listed.get(RECORDS_INDEX) != f"sha256:{_sha(index_bytes)}":
        report.fail(f"{label} records.jsonl", f"sha256 differs from {RECORDS_INDEX} in datapackage.json")
    try:
        for entry in load_records_index(index_bytes):
            known[entry["record_id"]] = entry | {"_run": run_id}
    except (ValueError, KeyError) as exc:
        report.fail(f"{label} records.jsonl", f"unreadable ({exc})")
    report.checked.append(f"{label}: records.jsonl -> datapackage.json -> datapackage-digest.json")
    _check_tokens(report, label, datapackage_bytes, folder, sidecar, _token_files(package_name, folder, sidecar),
                  roots)


def verify_bundle(folder: Path, report: VerifyReport, roots: list | None) -> None:
    known: dict[str, dict[str, Any]] = {}
    proofs = folder / "proofs"
    for run in sorted(p for p in proofs.iterdir() if p.is_dir()) if proofs.is_dir() else []:
        _proof_set(report, run, f"{run.name}.wacz", run.name, roots, known)
        if (run / "screenshots").is_dir():
            _proof_set(report, run / "screenshots", f"{run.name}-screenshots.wacz", run.name, roots, known)
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        report.fail("manifest.json", f"missing or not JSON ({exc})")
        manifest = {}
    framing: dict[str, list[dict[str, Any]]] = {}
    for row in manifest.get("records", []):
        if row.get("export_warc_file") and row.get("export_offset") is not None and row.get("export_length"):
            proof = known.get(row.get("warc_record_id"), {})
            framing.setdefault(row["export_warc_file"], []).append(
                {"record_id": row.get("warc_record_id"), "offset": int(row["export_offset"]),
                 "length": int(row["export_length"]),
                 "member_sha256": proof.get("member_sha256") or row.get("member_sha256")})
    for rows in framing.values():
        rows.sort(key=lambda row: row["offset"])
    exports = sorted(folder.glob("*.wacz"))
    if not exports:
        report.fail(folder.name, "no .wacz of exported records in the bundle")
    seen: dict[str, dict[str, Any]] = {}
    for wacz in exports:
        seen |= verify_wacz(wacz, report, roots, known, framing)
    for row in manifest.get("records", []):
        record_id = row.get("warc_record_id")
        record = seen.get(record_id)
        if record is None:
            report.fail("manifest.json", "record listed in the manifest is not in the bundle's WACZ", record_id)
        elif row.get("member_sha256") and row["member_sha256"] != record["member_sha256"]:
            report.fail("manifest.json", "member_sha256 differs from the record's bytes", record_id)
    for number, row in enumerate(manifest.get("observations", []), 1):
        record_id = row.get("warc_record_id")
        record = seen.get(record_id)
        if record is None:
            report.fail("manifest.json", f"observation {number} cites a record the bundle does not hold", record_id)
        elif row.get("response_sha256") and record["payload_digest"] != f"sha256:{row['response_sha256']}":
            report.fail("manifest.json", f"observation {number}'s response_sha256 is not the record's payload digest",
                        record_id)
    report.checked.append(f"manifest.json: {len(manifest.get('records', []))} record(s), "
                          f"{len(manifest.get('observations', []))} observation(s) point to records in the bundle")


def verify(path: str | Path, tsa_roots: str | Path | None = None) -> VerifyReport:
    """Check a run folder, a .wacz or an export bundle folder; the report says what was checked and what failed."""
    path = Path(path)
    report = VerifyReport(path)
    try:
        roots = timestamp.load_roots(tsa_roots)
    except (OSError, ValueError) as exc:
        report.fail(str(tsa_roots), str(exc))
        return report
    if path.is_file() and path.suffix == ".wacz":
        verify_wacz(path, report, roots)
    elif path.is_dir() and (path / "manifest.json").is_file():
        verify_bundle(path, report, roots)
    elif path.is_dir():
        verify_run_folder(path, report, roots)
    else:
        report.fail(str(path), "not a run folder, a .wacz or an export bundle folder")
    return report


def main(opts: Any) -> int:
    """``scrapy evidence verify PATH [--tsa-roots PEM]``: print the report; 0 = every check passed, 1 = not."""
    roots = opts.tsa_roots
    if roots is None and getattr(opts, "settings", None) is not None:
        from marketplace_spiders.core_config import EvidenceConfig

        roots = EvidenceConfig.from_settings(opts.settings).tsa_roots or None
    report = verify(opts.path, roots)
    print(report.render())
    return 0 if report.ok else 1
