"""The identity of a replayed run: which recording, replayed how. A recording's run is ingested once.

``recording_id`` hashes everything that decides the rows a replay produces: the recording's ``meta.json``
(time, terms), its ``responses.jsonl`` index, every response body it names, and the replay parameters that
change the rows (``REPLAY_OBSERVED_AT``, a ``terms`` argument). A copy of the recording in another folder
has the same identity; a recording with one body changed, or replayed at another time, has another.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from marketplace_spiders.recording_files import BadRecording, read_file

PREFIX = "sha256:"


def _hash_file(digest: hashlib._Hash, root: Path, name: str) -> bytes:
    """Hash one file of the recording and return its bytes. Read only through ``recording_files.read_file``:
    a name outside the folder, a FIFO or a device is never opened (the replay middleware fails the run on it)."""
    digest.update(f"{Path(name).name}\0".encode())
    try:
        missing = not (root / name).exists()
    except (OSError, ValueError):  # a name with a NUL byte: read_file refuses it below
        missing = False
    if missing:
        digest.update(b"\0missing\0")
        return b""
    try:
        data = read_file(root, name, 0, str(root))
    except BadRecording:
        digest.update(b"\0refused\0")
        return b""
    digest.update(f"{len(data)}\0".encode())
    digest.update(data)
    return data


def recording_id(folder: str | Path, observed_at: str | None = None, terms: list[str] | None = None) -> str:
    """``sha256:<hex>`` of the recording in ``folder`` replayed with these parameters; for a run's archive
    (``evidence.source``), ``run:<run_id>`` when replayed as that run was, else a digest of its responses."""
    from marketplace_spiders.evidence.source import ArchiveSource, is_archive

    if is_archive(folder):
        try:
            return ArchiveSource(folder).identity(observed_at, terms)
        except BadRecording:
            return PREFIX + hashlib.sha256(f"bad archive {Path(folder).resolve()}".encode()).hexdigest()
    root = Path(folder).resolve()
    digest = hashlib.sha256(b"dprk-monitor recording v1\0")
    _hash_file(digest, root, "meta.json")
    index = _hash_file(digest, root, "responses.jsonl")
    for line in index.decode("utf-8", "replace").splitlines():
        if not line.strip():
            continue
        try:
            body_file = json.loads(line).get("body_file")
        except (ValueError, AttributeError):
            continue  # the recording's reader reports bad lines; the line's text is hashed above
        if isinstance(body_file, str) and body_file:
            _hash_file(digest, root, body_file)
    digest.update(json.dumps({"observed_at": observed_at, "terms": terms}, ensure_ascii=False,
                             sort_keys=True).encode())
    return PREFIX + digest.hexdigest()
