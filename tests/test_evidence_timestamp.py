"""RFC 3161 timestamps of evidence packages against a real local authority (tests/tsa_server.py: openssl ts on
127.0.0.1, throwaway CA made here): a token over sha256(datapackage.json) verifies with the right root, fails
with a wrong root or another digest, and a TSA that is down is named while the other one still signs."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from test_evidence_package import RUN_ID, write_run
from tsa_server import TsaAuthority, closed_port_url

from marketplace_spiders.evidence import timestamp
from marketplace_spiders.evidence.package import package_run, packaged, read_package_file


@pytest.fixture(scope="module")
def authority(tmp_path_factory: pytest.TempPathFactory) -> TsaAuthority:
    return TsaAuthority(tmp_path_factory.mktemp("tsa"))


@pytest.fixture(scope="module")
def other_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The root of a different authority: tokens of ``authority`` must not verify against it."""
    return TsaAuthority(tmp_path_factory.mktemp("other"), name="Other TSA").root_pem


@pytest.fixture()
def tsa_url(authority: TsaAuthority) -> Iterator[str]:
    with authority.serve() as url:
        yield url


def test_token_over_datum_verifies_with_its_root_and_fails_otherwise(tmp_path: Path, tsa_url: str,
                                                                     authority: TsaAuthority, other_root: Path) -> None:
    datum = b'{"resources": []}'
    target = tmp_path / "p.wacz"
    tokens, failures = timestamp.sign(datum, target, [tsa_url], timeout=10)
    assert failures == [] and [t.file.name for t in tokens] == ["p.wacz.1.tsr"]
    tsr = tokens[0].file.read_bytes()
    digest = hashlib.sha256(datum).digest()
    assert tokens[0].message_imprint == digest.hex()

    trusted = timestamp.verify_token(tsr, digest, timestamp.load_roots(authority.root_pem))
    assert trusted.ok and trusted.chain_checked and trusted.tsa_name == "CN=Test TSA", trusted
    embedded = timestamp.verify_token(tsr, digest, None)
    assert embedded.ok and not embedded.chain_checked, embedded
    wrong_root = timestamp.verify_token(tsr, digest, timestamp.load_roots(other_root))
    assert not wrong_root.ok and "unable to get local issuer certificate" in wrong_root.error
    other_digest = timestamp.verify_token(tsr, hashlib.sha256(b"other").digest(), None)
    assert not other_digest.ok and "message imprint" in other_digest.error
    changed = bytearray(tsr)
    changed[-40] ^= 0x01  # inside the signature value
    assert not timestamp.verify_token(bytes(changed), digest, timestamp.load_roots(authority.root_pem)).ok
    assert not timestamp.verify_token(bytes(changed), digest, None).ok


def test_one_tsa_down_the_other_signs_and_the_failing_one_is_named(tmp_path: Path, tsa_url: str,
                                                                   authority: TsaAuthority) -> None:
    folder = write_run(tmp_path, screenshots=False)
    down = closed_port_url()
    config = SimpleNamespace(tsa_urls=[down, tsa_url], tsa_roots="", tsa_timeout=5.0)
    result = package_run(folder, config)
    main = result.packages[0]
    assert [t.number for t in main.tokens] == [2] and main.unsigned is None
    assert [(f.number, f.tsa_url) for f in main.failures] == [(1, down)]
    assert "Connection refused" in main.failures[0].error
    sidecar = packaged(folder)
    assert sidecar["tokens"][0]["file"] == f"{RUN_ID}.wacz.2.tsr" and sidecar["tokens"][0]["tsa_url"] == tsa_url
    assert sidecar["tsa_failures"][0]["tsa_url"] == down
    assert not (folder / f"{RUN_ID}.wacz.1.tsr").exists()
    datapackage = read_package_file(folder / f"{RUN_ID}.wacz", "datapackage.json")
    check = timestamp.verify_token((folder / f"{RUN_ID}.wacz.2.tsr").read_bytes(),
                                   hashlib.sha256(datapackage).digest(), timestamp.load_roots(authority.root_pem))
    assert check.ok, check
    assert "TSA 1 failed: " + down in result.summary()


def test_every_tsa_down_leaves_an_unsigned_package(tmp_path: Path) -> None:
    folder = write_run(tmp_path, screenshots=False)
    config = SimpleNamespace(tsa_urls=[closed_port_url()], tsa_roots="", tsa_timeout=2.0)
    info = package_run(folder, config).packages[0]
    assert info.tokens == [] and info.unsigned == "every timestamp authority failed"
    assert packaged(folder)["unsigned"] == "every timestamp authority failed"
