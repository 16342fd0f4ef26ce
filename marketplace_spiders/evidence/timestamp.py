"""RFC 3161 trusted timestamps over an evidence package's digest (``rfc3161-client``).

Why: a hash proves that bytes did not change after the hash was written down, but not *when* it was written down.
A timestamp token from an independent time-stamp authority (TSA) binds the package digest to a time the
monitor's operator cannot back-date. The timestamped datum is the sha256 of the package's ``datapackage.json``:
WACZ lists every file of the package (WARC files, the per-record index) with its sha256 there, so one small
token covers every record, and an export bundle can prove a single record with a few small files.

Tokens are requested from every URL in EVIDENCE_TSA_URLS (several authorities: one being down or later
distrusted does not leave the package unsigned). A TSA that fails is named; the others still sign.

Verification: status granted, message imprint == digest, CMS signature valid, signer certificate has the
critical timeStamping EKU; and the chain up to a trusted root when roots are given (EVIDENCE_TSA_ROOTS /
``--tsa-roots``). Without roots, the signature is checked against the certificate embedded in the token
(``openssl ts -verify -partial_chain``), and the report says plainly that the chain was not checked against a
trusted root: anyone can make a certificate with any name.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import cryptography.x509 as x509
from cryptography.hazmat.primitives.serialization import Encoding
from rfc3161_client import (
    HashAlgorithm,
    PKIStatus,
    TimestampRequestBuilder,
    TimeStampResponse,
    VerificationError,
    VerifierBuilder,
    decode_timestamp_response,
)

SHA256_OID = x509.ObjectIdentifier("2.16.840.1.101.3.4.2.1")


class TimestampError(Exception):
    """A time-stamp authority gave no usable token (down, refused, wrong imprint or nonce)."""


@dataclass(frozen=True)
class Token:
    """A token stored beside a package: ``file`` is ``<package>.<n>.tsr``, n the 1-based position of its URL."""

    number: int
    tsa_url: str
    file: Path
    gen_time: str
    serial: int
    message_imprint: str

    def as_json(self) -> dict[str, object]:
        return {"number": self.number, "file": self.file.name, "tsa_url": self.tsa_url, "gen_time": self.gen_time,
                "serial": self.serial, "message_imprint": self.message_imprint}


@dataclass(frozen=True)
class TsaFailure:
    number: int
    tsa_url: str
    error: str

    def as_json(self) -> dict[str, object]:
        return {"number": self.number, "tsa_url": self.tsa_url, "error": self.error}


@dataclass(frozen=True)
class TokenCheck:
    """The result of checking one token: ``ok`` False names the reason in ``error``."""

    ok: bool
    error: str = ""
    gen_time: str = ""
    tsa_name: str = ""
    signer: str = ""
    chain_checked: bool = False


def request_token(datum: bytes, url: str, timeout: float) -> bytes:
    """The DER TimeStampResponse of the TSA at ``url`` over sha256(``datum``); raises TimestampError."""
    request = (TimestampRequestBuilder().data(datum).hash_algorithm(HashAlgorithm.SHA256)
               .cert_request(cert_request=True).nonce(nonce=True).build())
    http_request = urllib.request.Request(url, data=request.as_bytes(), method="POST",
                                          headers={"Content-Type": "application/timestamp-query"})
    try:
        with urllib.request.urlopen(http_request, timeout=timeout) as answer:
            body = answer.read()
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise TimestampError(f"{url}: {exc}") from exc
    try:
        response = decode_timestamp_response(body)
    except ValueError as exc:
        raise TimestampError(f"{url}: not a TimeStampResponse ({exc})") from exc
    if response.status not in (PKIStatus.GRANTED, PKIStatus.GRANTED_WITH_MODS):
        raise TimestampError(f"{url}: status {response.status} {' '.join(response.status_string)}")
    if response.tst_info.nonce != request.nonce:
        raise TimestampError(f"{url}: nonce in the token differs from the request's (replayed answer?)")
    if response.tst_info.message_imprint.message != hashlib.sha256(datum).digest():
        raise TimestampError(f"{url}: the token's message imprint is not the package digest")
    return body


def sign(datum: bytes, package: Path, urls: list[str], timeout: float) -> tuple[list[Token], list[TsaFailure]]:
    """Ask every TSA in ``urls`` for a token over sha256(``datum``); store ``<package>.<n>.tsr`` beside it."""
    tokens: list[Token] = []
    failures: list[TsaFailure] = []
    for number, url in enumerate(urls, 1):
        try:
            body = request_token(datum, url, timeout)
        except TimestampError as exc:
            failures.append(TsaFailure(number, url, str(exc)))
            continue
        target = package.with_name(f"{package.name}.{number}.tsr")
        partial = target.with_name(target.name + ".partial")
        partial.write_bytes(body)
        partial.replace(target)
        info = decode_timestamp_response(body).tst_info
        tokens.append(Token(number, url, target, info.gen_time.isoformat(), info.serial_number,
                            info.message_imprint.message.hex()))
    return tokens, failures


def load_roots(pem_path: str | Path | None) -> list[x509.Certificate] | None:
    """The certificates in a PEM file (None when no file is named); a missing or empty file is an error."""
    if not pem_path:
        return None
    path = Path(pem_path)
    if not path.is_file():
        raise FileNotFoundError(f"TSA roots file {path} does not exist")
    roots = x509.load_pem_x509_certificates(path.read_bytes())
    if not roots:
        raise ValueError(f"TSA roots file {path} holds no PEM certificate")
    return roots


def _signer_certificate(response: TimeStampResponse) -> x509.Certificate:
    certs = [x509.load_der_x509_certificate(der) for der in response.signed_data.certificates]
    infos = list(response.signed_data.signer_infos)
    if len(infos) != 1:
        raise VerificationError(f"expected one SignerInfo, found {len(infos)}")
    for cert in certs:
        if cert.issuer == infos[0].issuer and cert.serial_number == infos[0].serial_number:
            return cert
    raise VerificationError("the token embeds no certificate of its signer (requested with cert_req)")


def _verify_against_embedded(tsr: bytes, digest: bytes, signer: x509.Certificate, gen_time: datetime) -> None:
    """Check the CMS signature with the token's own signer certificate as the only anchor (no root known)."""
    openssl = shutil.which("openssl")
    if not openssl:
        raise VerificationError("no trusted roots given and no openssl to check the signature with")
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "t.tsr").write_bytes(tsr)
        (Path(tmp) / "signer.pem").write_bytes(signer.public_bytes(Encoding.PEM))
        done = subprocess.run([openssl, "ts", "-verify", "-in", "t.tsr", "-digest", digest.hex(),
                               "-CAfile", "signer.pem", "-partial_chain", "-attime", str(int(gen_time.timestamp()))],
                              cwd=tmp, capture_output=True, text=True)
    if done.returncode != 0:
        reason = [line for line in (done.stderr + done.stdout).splitlines() if "error" in line.lower()]
        raise VerificationError("signature check failed: " + (reason[-1] if reason else "openssl ts -verify"))


def verify_token(tsr: bytes, digest: bytes, roots: list[x509.Certificate] | None) -> TokenCheck:
    """Check a DER TimeStampResponse over the sha256 ``digest``; never raises on bad input."""
    try:
        response = decode_timestamp_response(tsr)
    except ValueError as exc:
        return TokenCheck(False, f"not a TimeStampResponse: {exc}")
    try:
        info = response.tst_info
        gen_time = info.gen_time.isoformat()
        if info.message_imprint.hash_algorithm != SHA256_OID:
            return TokenCheck(False, "the token's imprint is not sha256", gen_time)
        if info.message_imprint.message != digest:
            return TokenCheck(False, f"the token's message imprint {info.message_imprint.message.hex()} is not the"
                                     f" package digest {digest.hex()}", gen_time)
        signer = _signer_certificate(response)
        tsa_name = signer.subject.rfc4514_string()
        if roots:
            VerifierBuilder(roots=list(roots)).build().verify(response, digest)
            return TokenCheck(True, gen_time=gen_time, tsa_name=tsa_name, signer=tsa_name, chain_checked=True)
        eku = signer.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
        if not eku.critical or x509.ExtendedKeyUsageOID.TIME_STAMPING not in eku.value:
            return TokenCheck(False, "the signer certificate lacks the critical timeStamping EKU", gen_time)
        if PKIStatus(response.status) not in (PKIStatus.GRANTED, PKIStatus.GRANTED_WITH_MODS):
            return TokenCheck(False, f"status {response.status}", gen_time)
        _verify_against_embedded(tsr, digest, signer, info.gen_time)
        return TokenCheck(True, gen_time=gen_time, tsa_name=tsa_name, signer=tsa_name, chain_checked=False)
    except (VerificationError, ValueError, x509.ExtensionNotFound) as exc:
        return TokenCheck(False, str(exc))
