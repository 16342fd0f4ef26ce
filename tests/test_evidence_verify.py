"""`scrapy evidence verify` (evidence.verify): a signed package, an unsigned one and an export bundle verify; one
flipped byte in a WARC inside the WACZ, in datapackage.json or in a token fails with the thing named and exit 1;
a wrong root fails. Packages are signed by the real local authority of tests/tsa_server.py."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from test_evidence_package import RUN_ID, UNSIGNED, write_run
from tsa_server import TsaAuthority

from marketplace_spiders.evidence import package, verify
from marketplace_spiders.evidence.package import package_run

PROJECT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def authority(tmp_path_factory: pytest.TempPathFactory) -> TsaAuthority:
    return TsaAuthority(tmp_path_factory.mktemp("tsa"))


@pytest.fixture(scope="module")
def signed_template(tmp_path_factory: pytest.TempPathFactory, authority: TsaAuthority) -> Path:
    """A run packaged and signed once; each test copies it (so one test's flipped byte cannot leak)."""
    root = tmp_path_factory.mktemp("signed")
    folder = write_run(root)
    with authority.serve() as url:
        package_run(folder, SimpleNamespace(tsa_urls=[url], tsa_roots="", tsa_timeout=10.0))
    return folder


@pytest.fixture()
def signed(tmp_path: Path, signed_template: Path) -> Path:
    return Path(shutil.copytree(signed_template, tmp_path / signed_template.name))


def _main(path: Path, roots: Path | None = None) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = verify.main(SimpleNamespace(path=str(path), tsa_roots=str(roots) if roots else None, settings=None))
    return code, out.getvalue()


def _flip(path: Path, at: int) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


def _entry_start(wacz: Path, name: str) -> int:
    with zipfile.ZipFile(wacz) as archive:
        info = archive.getinfo(name)
    with open(wacz, "rb") as handle:
        handle.seek(info.header_offset)
        header = handle.read(30)
    return info.header_offset + 30 + int.from_bytes(header[26:28], "little") + int.from_bytes(header[28:30], "little")


def test_signed_run_verifies_with_its_root_and_without_roots(signed: Path, authority: TsaAuthority) -> None:
    code, text = _main(signed, authority.root_pem)
    assert code == 0, text
    assert "WARC records checked: 15" in text
    assert f"{RUN_ID}.wacz: signed by CN=Test TSA (http://127.0.0.1:" in text
    assert "chain verified against the trusted roots given" in text
    code, text = _main(signed / f"{RUN_ID}.wacz")
    assert code == 0, text
    assert "the chain was NOT checked against a trusted root" in text


def test_wrong_root_fails(signed: Path, tmp_path: Path) -> None:
    other = TsaAuthority(tmp_path / "other", name="Other TSA")
    code, text = _main(signed / f"{RUN_ID}.wacz", other.root_pem)
    assert code == 1
    assert f"FAIL {RUN_ID}.wacz.1.tsr: timestamp token does not verify" in text


def test_unsigned_package_says_unsigned(tmp_path: Path) -> None:
    folder = write_run(tmp_path, screenshots=False)
    package_run(folder, UNSIGNED)
    code, text = _main(folder)
    assert code == 0, text
    assert "UNSIGNED (no timestamp authority configured" in text and "RESULT: OK" in text and "; UNSIGNED" in text


def test_one_flipped_byte_in_a_warc_inside_the_wacz_names_the_record(signed: Path, authority: TsaAuthority) -> None:
    wacz = signed / f"{RUN_ID}.wacz"
    warc_name = f"archive/{RUN_ID}-00000.warc.gz"
    response = package.load_records_index(package.read_package_file(wacz, package.RECORDS_INDEX))[4]
    _flip(wacz, _entry_start(wacz, warc_name) + response["offset"] + response["length"] // 2)
    code, text = _main(signed, authority.root_pem)
    assert code == 1
    assert (f"FAIL {RUN_ID}.wacz {warc_name} record {response['record_id']} at offset {response['offset']}: "
            "record bytes differ from the sha256 in the records index") in text
    assert f"FAIL {RUN_ID}.wacz {warc_name}: sha256 differs from datapackage.json" in text
    assert f"FAIL {RUN_ID}.wacz: package sha256 differs from its sidecar" in text


def test_one_flipped_byte_in_datapackage_json_fails(signed: Path, signed_template: Path, tmp_path: Path,
                                                    authority: TsaAuthority) -> None:
    wacz = signed / f"{RUN_ID}.wacz"
    # an edited datapackage.json written back properly (as a forger would), so only the digests can tell
    with zipfile.ZipFile(wacz) as archive:
        entries = [(info, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(wacz, "w") as archive:
        for info, data in entries:
            if info.filename == "datapackage.json":
                data = data.replace(b'"bytes": ', b'"bytes":  ', 1)
            archive.writestr(info, data)
    code, text = _main(wacz, authority.root_pem)
    assert code == 1
    assert f"FAIL {RUN_ID}.wacz datapackage.json: sha256 differs from datapackage-digest.json" in text
    assert f"FAIL {RUN_ID}.wacz.1.tsr: timestamp token does not verify: the token's message imprint" in text
    # one raw byte flipped inside the (deflated) datapackage.json entry
    raw = Path(shutil.copytree(signed_template, tmp_path / "raw")) / f"{RUN_ID}.wacz"
    _flip(raw, _entry_start(raw, "datapackage.json") + 20)
    code, text = _main(raw, authority.root_pem)
    assert code == 1 and f"FAIL {RUN_ID}.wacz datapackage.json" in text, text


def test_one_flipped_byte_in_a_token_fails(signed: Path, authority: TsaAuthority) -> None:
    token = signed / f"{RUN_ID}.wacz.1.tsr"
    _flip(token, len(token.read_bytes()) - 30)
    code, text = _main(signed, authority.root_pem)
    assert code == 1 and f"FAIL {RUN_ID}.wacz.1.tsr: timestamp token does not verify" in text
    code, text = _main(signed)
    assert code == 1 and f"FAIL {RUN_ID}.wacz.1.tsr" in text


# ---------------------------------------------------------------------------- export bundles (layout: notes)
def make_bundle(run: Path, out: Path, picks: int = 2) -> Path:
    """An export bundle in the agreed layout: raw members of the first ``picks`` responses copied byte for byte
    into archive/<run_id>.warc.gz of evidence.wacz, the run's proof files, a manifest citing them."""
    wacz = run / f"{RUN_ID}.wacz"
    index = package.read_package_file(wacz, package.RECORDS_INDEX)
    responses = [e for e in package.load_records_index(index) if e["type"] == "response"][:picks]
    with zipfile.ZipFile(wacz) as archive:
        warc = archive.read(f"archive/{RUN_ID}-00000.warc.gz")
        proofs = out / "proofs" / RUN_ID
        proofs.mkdir(parents=True)
        for name in ("datapackage.json", "datapackage-digest.json"):
            (proofs / name).write_bytes(archive.read(name))
    (proofs / "records.jsonl").write_bytes(index)
    for proof in package.proof_files(run):
        shutil.copy(proof, proofs / proof.name)
    members, records, offset = [], [], 0
    for entry in responses:
        member = warc[entry["offset"]:entry["offset"] + entry["length"]]
        members.append(member)
        records.append({"run_id": RUN_ID, "warc_record_id": entry["record_id"],
                        "member_sha256": entry["member_sha256"], "export_warc_file": f"archive/{RUN_ID}.warc.gz",
                        "export_offset": offset, "export_length": len(member)})
        offset += len(member)
    staging = out.parent / "staging"
    staging.mkdir()
    (staging / f"{RUN_ID}.warc.gz").write_bytes(b"".join(members))
    with contextlib.redirect_stdout(io.StringIO()):
        from wacz.main import main as wacz_main

        assert wacz_main(["create", "-o", str(out / "evidence.wacz"), "--hash-type", "sha256",
                          str(staging / f"{RUN_ID}.warc.gz")]) == 0
    observations = [{"run_id": RUN_ID, "warc_record_id": e["record_id"],
                     "response_sha256": e["payload_digest"].removeprefix("sha256:")} for e in responses]
    (out / "manifest.json").write_text(json.dumps({"format": "dprk-monitor-evidence-bundle/1", "records": records,
                                                   "observations": observations}))
    return out


def test_export_bundle_proves_each_record_and_names_a_changed_one(signed: Path, tmp_path: Path,
                                                                  authority: TsaAuthority) -> None:
    bundle = make_bundle(signed, tmp_path / "bundle")
    code, text = _main(bundle, authority.root_pem)
    assert code == 0, text
    assert f"proofs/{RUN_ID}/{RUN_ID}.wacz: signed by CN=Test TSA" in text
    assert "manifest.json: 2 record(s), 2 observation(s)" in text

    manifest = json.loads((bundle / "manifest.json").read_text())
    second = manifest["records"][1]
    exported = bundle / "evidence.wacz"
    _flip(exported, _entry_start(exported, f"archive/{RUN_ID}.warc.gz") + second["export_offset"] + 40)
    code, text = _main(bundle, authority.root_pem)
    assert code == 1
    assert (f"FAIL evidence.wacz archive/{RUN_ID}.warc.gz record {second['warc_record_id']} at offset "
            f"{second['export_offset']}: record bytes differ from the sha256 in the records index") in text

    tampered = make_bundle(signed, tmp_path / "again" / "bundle")
    index = tampered / "proofs" / RUN_ID / "records.jsonl"
    index.write_bytes(index.read_bytes().replace(b'"type": "response"', b'"type": "resource"', 1))
    code, text = _main(tampered, authority.root_pem)
    assert code == 1 and "records.jsonl: sha256 differs from logs/records.jsonl in datapackage.json" in text


def test_command_line_exit_codes(signed: Path, authority: TsaAuthority) -> None:
    scrapy = Path(sys.executable).parent / "scrapy"
    ok = subprocess.run([str(scrapy), "evidence", "verify", str(signed), "--tsa-roots", str(authority.root_pem)],
                        cwd=PROJECT, capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0 and "RESULT: OK" in ok.stdout, ok.stdout + ok.stderr
    _flip(signed / f"{RUN_ID}.wacz.1.tsr", 100)
    bad = subprocess.run([str(scrapy), "evidence", "verify", str(signed)], cwd=PROJECT, capture_output=True,
                         text=True, timeout=120)
    assert bad.returncode == 1 and "RESULT: FAILED" in bad.stdout, bad.stdout + bad.stderr

