"""Package a run's WARC files as WACZ, with a per-record index, a sidecar and RFC 3161 tokens.

Why WACZ: it is the web-archiving world's package (ReplayWeb.page opens it offline) and its ``datapackage.json``
lists every file with its sha256, so one digest (sha256 of ``datapackage.json``) stands for the whole package and
is what a timestamp authority signs (``evidence.timestamp``). WARC files go in ``archive/`` uncompressed
(ZIP_STORED, as ``wacz create`` writes them), so a record is still read in place by offset.

Why a records index (``logs/records.jsonl``, listed in ``datapackage.json``): it gives, for every record, the
sha256 of its raw gzip member. An export bundle can then prove one record with small files: member bytes ->
index line -> index sha256 in ``datapackage.json`` -> sha256 of ``datapackage.json`` in the signed token.

Screenshots get a package (and tokens) of their own, so retention can delete them without breaking the main
package's signature. The loose WARC files are removed only after the package is written, re-read and checked;
any failure (disk full, a bad WARC) leaves them untouched and raises :class:`PackageError`.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import re
import shutil
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from warcio.archiveiterator import ArchiveIterator

from marketplace_spiders.evidence import timestamp

RECORDS_INDEX = "logs/records.jsonl"
SIDECAR_FORMAT = "dprk-monitor-evidence-package/1"
CHUNK = 1 << 20


class PackageError(Exception):
    """A run could not be packaged; its loose WARC files are untouched."""


# ---------------------------------------------------------------------------- reading WARC bytes, checking records
def record_spans(handle: IO[bytes]) -> Iterator[tuple[int, int]]:
    """(offset, length) of every gzip member (record) of a WARC file, in file order (warcio's own framing)."""
    iterator = ArchiveIterator(handle, arc2warc=False)
    for record in iterator:
        iterator.read_to_end(record)
        yield iterator.get_record_offset(), iterator.get_record_length()


def _spans_or_error(path: Path, handle: IO[bytes], entries: list[dict[str, Any]]) -> Iterator[tuple[int, int]]:
    """record_spans, but a gzip or WARC framing error names the offset where the readable records end."""
    end = 0
    spans = record_spans(handle)
    while True:
        try:
            span = next(spans)
        except StopIteration:
            return
        except Exception as exc:  # noqa: BLE001 (corrupt bytes of any kind)
            after = f" (the record after {entries[-1]['record_id']})" if entries else ""
            raise PackageError(f"{path.name}: unreadable bytes in the record at offset {end}{after}: "
                               f"{type(exc).__name__}: {str(exc)[:120]}") from exc
        end = span[0] + span[1]
        yield span


def check_member(data: bytes) -> tuple[dict[str, Any], list[str]]:
    """Parse one raw gzip member: (index fields from its headers, problems: block/payload digest mismatches,
    unreadable bytes). Recomputes the digests with warcio (``check_digests``), as ``warcio check`` does."""
    if data[:2] != b"\x1f\x8b":
        return {}, ["not a gzip member (WARC files must be gzipped per record)"]
    try:
        iterator = ArchiveIterator(io.BytesIO(data), arc2warc=False, check_digests=True)
        record = next(iterator)
        stream = record.content_stream()
        while stream.read(CHUNK):
            pass
        headers = record.rec_headers
        fields = {
            "record_id": headers.get_header("WARC-Record-ID"),
            "type": record.rec_type,
            "target_uri": headers.get_header("WARC-Target-URI"),
            "date": headers.get_header("WARC-Date"),
            "payload_digest": headers.get_header("WARC-Payload-Digest"),
            "block_digest": headers.get_header("WARC-Block-Digest"),
            "content_type": headers.get_header("Content-Type"),
        }
        status = record.http_headers.get_statuscode() if record.http_headers else None
        http_type = record.http_headers.get_header("Content-Type") if record.http_headers else None
        problems = list(record.digest_checker.problems) if record.digest_checker.passed is False else []
        if not fields["block_digest"] and not fields["payload_digest"] and record.rec_type != "warcinfo":
            problems.append("record carries no digest to check")
        if next(iterator, None) is not None:
            problems.append("more than one record in one gzip member")
    except Exception as exc:  # noqa: BLE001 (any parse failure of untrusted bytes is reported, not raised)
        return {}, [f"unreadable record: {type(exc).__name__}: {str(exc)[:80]!r}"]
    return fields | {"_status": status, "_http_type": http_type}, problems


def index_warc(path: Path, open_handle: Any = None) -> list[dict[str, Any]]:
    """The records index of one WARC file; raises PackageError naming the file, record and offset of a bad one."""
    opener = open_handle or (lambda: open(path, "rb"))
    entries: list[dict[str, Any]] = []
    try:
        with opener() as framing, opener() as raw:
            for offset, length in _spans_or_error(path, framing, entries):
                raw.seek(offset)
                data = raw.read(length)
                fields, problems = check_member(data)
                if problems:
                    raise PackageError(f"{path.name}: record {fields.get('record_id') or '?'} at offset {offset}: "
                                       + "; ".join(problems))
                entries.append({"record_id": fields["record_id"], "type": fields["type"],
                                "target_uri": fields["target_uri"], "date": fields["date"], "warc_file": path.name,
                                "offset": offset, "length": length, "member_sha256": hashlib.sha256(data).hexdigest(),
                                "payload_digest": fields["payload_digest"], "block_digest": fields["block_digest"],
                                "content_type": fields["content_type"], "_status": fields["_status"],
                                "_http_type": fields["_http_type"]})
    except PackageError:
        raise
    except Exception as exc:  # noqa: BLE001 (a truncated or non-WARC file)
        raise PackageError(f"{path.name}: not a readable WARC file ({type(exc).__name__}: {exc})") from exc
    if not entries:
        raise PackageError(f"{path.name}: no WARC record")
    return entries


def index_lines(entries: list[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps({k: v for k, v in e.items() if not k.startswith("_")}, ensure_ascii=False,
                               sort_keys=True).encode() + b"\n" for e in entries)


def load_records_index(data: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in data.splitlines() if line.strip()]


def read_package_file(wacz_path: Path, name: str) -> bytes:
    """The exact bytes of the zip entry ``name`` (e.g. ``datapackage.json``, ``logs/records.jsonl``)."""
    with zipfile.ZipFile(wacz_path) as wacz:
        return wacz.read(name)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


# ---------------------------------------------------------------------------- packaging
@dataclass
class PackageInfo:
    kind: str  # "main" | "screenshots"
    path: Path
    sha256: str
    records: int
    warc_files: list[str]
    tokens: list[timestamp.Token] = field(default_factory=list)
    failures: list[timestamp.TsaFailure] = field(default_factory=list)
    unsigned: str | None = None


@dataclass
class PackageResult:
    run_id: str
    packages: list[PackageInfo]
    removed: list[str]

    def summary(self) -> str:
        lines = []
        for p in self.packages:
            signed = (f"signed by {len(p.tokens)} TSA(s)" if p.tokens else f"UNSIGNED ({p.unsigned})")
            lines.append(f"{p.path.name}: {p.records} records from {len(p.warc_files)} WARC file(s), sha256 "
                         f"{p.sha256}, {signed}")
            lines += [f"  TSA {f.number} failed: {f.tsa_url}: {f.error}" for f in p.failures]
        return "\n".join(lines) or f"{self.run_id}: no loose WARC file (already packaged, or nothing recorded)"


def warc_groups(run_folder: Path) -> dict[str, list[Path]]:
    """The loose WARC files of a run: {"main": [...], "screenshots": [...]}, each in number order."""
    run_id = re.escape(run_folder.name)
    patterns = {"main": re.compile(rf"^{run_id}-\d{{5}}\.warc\.gz$"),
                "screenshots": re.compile(rf"^{run_id}-screenshots-\d{{5}}\.warc\.gz$")}
    files = sorted(p for p in run_folder.iterdir() if p.is_file()) if run_folder.is_dir() else []
    return {kind: [p for p in files if pattern.match(p.name)] for kind, pattern in patterns.items()}


def package_path(run_folder: Path, kind: str) -> Path:
    suffix = "" if kind == "main" else "-screenshots"
    return run_folder / f"{run_folder.name}{suffix}.wacz"


def sidecar_path(wacz_path: Path) -> Path:
    return wacz_path.with_name(wacz_path.name + ".json")


def packaged(run_folder: Path, kind: str = "main") -> dict[str, Any] | None:
    """The sidecar of the run's package (``kind`` main or screenshots), None if the run is not packaged."""
    path = sidecar_path(package_path(Path(run_folder), kind))
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def proof_files(run_folder: Path, kind: str = "main") -> list[Path]:
    """The sidecar and the token files of a package (what an export bundle copies besides the WACZ entries)."""
    sidecar = packaged(run_folder, kind)
    if sidecar is None:
        return []
    wacz = package_path(Path(run_folder), kind)
    return [sidecar_path(wacz)] + [wacz.with_name(t["file"]) for t in sidecar["tokens"]]


def _pages_jsonl(entries: list[dict[str, Any]]) -> bytes | None:
    """Pages for ReplayWeb.page: the HTML responses that are not redirects."""
    pages = [{"url": e["target_uri"], "ts": e["date"], "title": e["target_uri"]} for e in entries
             if e["type"] == "response" and (e["_http_type"] or "").split(";")[0].strip() == "text/html"
             and not str(e["_status"] or "").startswith("3")]
    if not pages:
        return None
    header = {"format": "json-pages-1.0", "id": "pages", "title": "Pages"}
    return b"".join(json.dumps(line).encode() + b"\n" for line in [header, *pages])


def check_package(wacz_path: Path, warcs: list[Path]) -> tuple[bytes, dict[str, Any]]:
    """Re-read a written package: every entry against datapackage.json, each WARC byte-identical to its loose
    file and ZIP_STORED. Returns (datapackage.json bytes, parsed). Raises PackageError."""
    with zipfile.ZipFile(wacz_path) as wacz:
        datapackage_bytes = wacz.read("datapackage.json")
        datapackage = json.loads(datapackage_bytes)
        digest = json.loads(wacz.read("datapackage-digest.json"))
        if digest.get("hash") != "sha256:" + hashlib.sha256(datapackage_bytes).hexdigest():
            raise PackageError(f"{wacz_path.name}: datapackage-digest.json does not match datapackage.json")
        listed = {r["path"]: r for r in datapackage["resources"]}
        for info in wacz.infolist():
            if info.filename in ("datapackage.json", "datapackage-digest.json"):
                continue
            resource = listed.get(info.filename)
            hasher = hashlib.sha256()
            with wacz.open(info) as handle:
                while block := handle.read(CHUNK):
                    hasher.update(block)
            if resource is None or resource["hash"] != "sha256:" + hasher.hexdigest():
                raise PackageError(f"{wacz_path.name}: {info.filename} does not match datapackage.json")
        for warc in warcs:
            info = wacz.getinfo(f"archive/{warc.name}")
            if info.compress_type != zipfile.ZIP_STORED:
                raise PackageError(f"{wacz_path.name}: archive/{warc.name} is not stored uncompressed")
            if listed[info.filename]["hash"] != "sha256:" + sha256_file(warc):
                raise PackageError(f"{wacz_path.name}: archive/{warc.name} differs from the loose file")
        if RECORDS_INDEX not in listed:
            raise PackageError(f"{wacz_path.name}: {RECORDS_INDEX} is missing")
    return datapackage_bytes, datapackage


def _discard(partial: Path) -> None:
    if partial.is_file():
        partial.unlink()


def _build(run_folder: Path, kind: str, warcs: list[Path], config: Any) -> PackageInfo:
    target = package_path(run_folder, kind)
    entries = [entry for warc in warcs for entry in index_warc(warc)]
    work = run_folder / f".packaging-{kind}"
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(work, ignore_errors=True)
    try:
        (work / "logs").mkdir(parents=True)
        (work / "logs" / "records.jsonl").write_bytes(index_lines(entries))
        args = ["create", "-o", str(partial), "--hash-type", "sha256", "-l", str(work / "logs"),
                "--title", f"{run_folder.name} ({kind})", "--desc", f"run {run_folder.name}"]
        pages = _pages_jsonl(entries)
        if pages:
            (work / "pages.jsonl").write_bytes(pages)
            args += ["-p", str(work / "pages.jsonl")]
        from wacz.main import main as wacz_main

        wacz_output = io.StringIO()
        with contextlib.redirect_stdout(wacz_output):
            code = wacz_main([*args, *map(str, warcs)])
        if code != 0:
            raise PackageError(f"{target.name}: wacz create failed: {wacz_output.getvalue()[-500:]}")
        datapackage_bytes, datapackage = check_package(partial, warcs)
        partial.replace(target)
    except PackageError:
        _discard(partial)
        raise
    except Exception as exc:  # disk full, permissions: nothing is lost, the loose files stay
        _discard(partial)
        raise PackageError(f"{target.name}: could not write the package ({type(exc).__name__}: {exc})") from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)
    urls = list(getattr(config, "tsa_urls", []) or [])
    tokens, failures = timestamp.sign(datapackage_bytes, target, urls, float(getattr(config, "tsa_timeout", 15.0)))
    unsigned = None
    if not tokens:
        unsigned = ("no timestamp authority configured (EVIDENCE_TSA_URLS is empty)" if not urls
                    else "every timestamp authority failed")
    info = PackageInfo(kind, target, sha256_file(target), len(entries), [w.name for w in warcs], tokens, failures,
                       unsigned)
    _write_sidecar(info, datapackage_bytes, datapackage)
    return info


def _software() -> str:
    try:
        from marketplace_spiders.evidence.archive import software_version

        return software_version()
    except ImportError:
        return "dprk-marketplace-monitor"


def _write_sidecar(info: PackageInfo, datapackage_bytes: bytes, datapackage: dict[str, Any]) -> None:
    sidecar = {
        "format": SIDECAR_FORMAT, "run_id": info.path.name.removesuffix(".wacz").removesuffix("-screenshots"),
        "kind": info.kind, "package": info.path.name, "package_sha256": info.sha256,
        "package_bytes": info.path.stat().st_size,
        "datapackage_sha256": hashlib.sha256(datapackage_bytes).hexdigest(),
        "datapackage_created": datapackage.get("created"),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "software": f"{_software()}; {datapackage.get('software', 'py-wacz')}",
        "warc_files": info.warc_files, "records": info.records, "records_index": RECORDS_INDEX,
        "tokens": [t.as_json() for t in info.tokens], "tsa_failures": [f.as_json() for f in info.failures],
        "unsigned": info.unsigned,
    }
    path = sidecar_path(info.path)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(sidecar, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    partial.replace(path)


def _resume(run_folder: Path, kind: str, warcs: list[Path]) -> PackageInfo:
    """A package with a sidecar exists and loose files remain (an interrupted clean-up): remove them only if the
    package holds each of them byte for byte."""
    target = package_path(run_folder, kind)
    sidecar = packaged(run_folder, kind) or {}
    missing = [w.name for w in warcs if w.name not in sidecar.get("warc_files", [])]
    if missing:
        raise PackageError(f"{target.name} is already packaged but does not hold {', '.join(missing)}")
    check_package(target, warcs)
    return PackageInfo(kind, target, sidecar["package_sha256"], sidecar["records"], sidecar["warc_files"],
                       unsigned=sidecar.get("unsigned"))


def package_run(run_folder: Path, config: Any) -> PackageResult:
    """Package (and sign) the run in ``run_folder``; remove the loose WARC files once the package is checked."""
    run_folder = Path(run_folder)
    if not run_folder.is_dir():
        raise PackageError(f"{run_folder}: no such run folder")
    results: list[PackageInfo] = []
    removed: list[str] = []
    for kind, warcs in warc_groups(run_folder).items():
        if not warcs:
            continue
        info = _resume(run_folder, kind, warcs) if packaged(run_folder, kind) else _build(run_folder, kind, warcs,
                                                                                           config)
        results.append(info)
        for warc in warcs:
            warc.unlink()
            removed.append(warc.name)
    return PackageResult(run_folder.name, results, removed)


# `scrapy evidence package` (its command line, the database reads and the crawl_runs update) is
# marketplace_spiders.evidence.package_command.package_main: the command needs the run folders joined with the
# database, which disk.py does, and disk.py imports this module, so the command lives beside it (no import cycle).
