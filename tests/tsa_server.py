"""A real RFC 3161 time-stamp authority on 127.0.0.1 for the evidence tests: no outside network, no mocks.

``TsaAuthority(folder)`` makes a throwaway root CA and a TSA certificate signed by it with ``openssl``
(extendedKeyUsage critical timeStamping, as RFC 3161 section 2.3 requires), and ``serve()`` starts a small
``http.server`` that answers ``application/timestamp-query`` POSTs by running ``openssl ts -reply``. The tokens
are therefore made by the same tool a real authority might use, and verification is tested against real
signatures. ``closed_port_url()`` gives a URL where nothing listens (a TSA that is down).
"""

from __future__ import annotations

import http.server
import socket
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

TSA_CONFIG = """\
[ tsa ]
default_tsa = tsa_config1

[ tsa_config1 ]
dir = {dir}
serial = $dir/tsaserial
crypto_device = builtin
signer_cert = $dir/tsa.crt
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
other_policies = 1.2.3.4.5.6
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""

TSA_EXTENSIONS = """\
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
extendedKeyUsage = critical, timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


class TsaAuthority:
    """A root CA (``ca.crt``) and a TSA certificate (``tsa.crt``) in ``folder``, named ``name``."""

    def __init__(self, folder: Path, name: str = "Test TSA") -> None:
        self.folder = folder
        self.name = name
        folder.mkdir(parents=True, exist_ok=True)
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        _openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "3",
                 "-subj", f"/CN={name} Root CA", "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=folder)
        (folder / "tsa_ext.cnf").write_text(TSA_EXTENSIONS)
        _openssl("req", *ec, "-keyout", "tsa.key", "-out", "tsa.csr", "-subj", f"/CN={name}", cwd=folder)
        _openssl("x509", "-req", "-in", "tsa.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                 "-out", "tsa.crt", "-days", "3", "-extfile", "tsa_ext.cnf", cwd=folder)
        (folder / "tsaserial").write_text("01\n")
        (folder / "ts.cnf").write_text(TSA_CONFIG.format(dir=folder))
        self.lock = threading.Lock()

    @property
    def root_pem(self) -> Path:
        return self.folder / "ca.crt"

    def reply(self, query: bytes) -> bytes:
        """The DER TimeStampResponse ``openssl ts -reply`` gives for a DER TimeStampReq."""
        with self.lock, tempfile.TemporaryDirectory(dir=self.folder) as tmp:
            query_file, reply_file = Path(tmp) / "q.tsq", Path(tmp) / "r.tsr"
            query_file.write_bytes(query)
            subprocess.run(["openssl", "ts", "-reply", "-config", str(self.folder / "ts.cnf"),
                            "-queryfile", str(query_file), "-out", str(reply_file)],
                           check=True, capture_output=True)
            return reply_file.read_bytes()

    @contextmanager
    def serve(self) -> Iterator[str]:
        """Answer time-stamp queries on 127.0.0.1 while the block runs; yields the URL."""
        authority = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.headers.get("Content-Type") != "application/timestamp-query":
                    self.send_error(415, "expected application/timestamp-query")
                    return
                try:
                    answer = authority.reply(body)
                except subprocess.CalledProcessError as exc:
                    self.send_error(400, exc.stderr.decode(errors="replace")[:200])
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}/tsr"
        finally:
            server.shutdown()
            server.server_close()
            thread.join(5)


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens: a TSA that is down (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/tsr"
