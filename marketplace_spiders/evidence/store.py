"""Where the evidence of a run lives and how one record is read back.

A run's WARC files are written loose into ``<evidence root>/<marketplace>/<run_id>/``; once the run is packaged
(``evidence.package``) they live only inside ``<run_id>.wacz`` at ``archive/<file name>``, stored uncompressed
in the zip, so a record is still read in place by its offset. Every pointer in DuckDB (``fetches.warc_file``,
``warc_offset``, ``warc_length``) names the WARC file relative to the evidence root and stays valid either way.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import IO, Any

from warcio.archiveiterator import ArchiveIterator


class StoredEntryError(ValueError):
    """A WACZ entry that cannot be read in place (compressed, or its local header is not where the zip says)."""


class StoredEntry(io.RawIOBase):
    """A seekable read-only view of an uncompressed (ZIP_STORED) zip entry, read straight from the zip file."""

    def __init__(self, zip_path: Path, info: zipfile.ZipInfo) -> None:
        super().__init__()
        if info.compress_type != zipfile.ZIP_STORED:
            raise StoredEntryError(f"{zip_path}: {info.filename} is compressed; WARC entries must be ZIP_STORED")
        self._file = open(zip_path, "rb")  # noqa: SIM115 (closed by close())
        self._file.seek(info.header_offset)
        header = self._file.read(30)
        if header[:4] != b"PK\x03\x04":
            self._file.close()
            raise StoredEntryError(f"{zip_path}: no local header for {info.filename} at {info.header_offset}")
        name_len, extra_len = int.from_bytes(header[26:28], "little"), int.from_bytes(header[28:30], "little")
        self._start = info.header_offset + 30 + name_len + extra_len
        self._size = info.file_size
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._pos, 2: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: Any) -> int:
        count = min(len(buffer), self._size - self._pos)
        if count <= 0:
            return 0
        self._file.seek(self._start + self._pos)
        data = self._file.read(count)
        buffer[: len(data)] = data
        self._pos += len(data)
        return len(data)

    def close(self) -> None:
        self._file.close()
        super().close()



class EvidenceMissing(FileNotFoundError):
    """A WARC file (or the package that should hold it) is not in the evidence archive."""


def evidence_root(db_path: str | Path, configured: str | None = None) -> Path:
    """The evidence root: ``configured`` (``EVIDENCE_DIR``) if given, else ``<db>.evidence`` beside the database."""
    if configured:
        return Path(configured)
    db_path = Path(db_path)
    return db_path.with_name(db_path.name + ".evidence")


def run_folder(root: Path, marketplace: str, run_id: str) -> Path:
    return Path(root) / marketplace / run_id


def _relative(warc_file: str) -> PurePosixPath:
    rel = PurePosixPath(warc_file)
    if rel.is_absolute() or ".." in rel.parts or len(rel.parts) < 3:
        raise EvidenceMissing(f"{warc_file!r} is not a WARC file name of the form <marketplace>/<run_id>/<file>")
    return rel


def package_of(root: Path, warc_file: str) -> Path:
    """The WACZ that holds ``warc_file`` once its run is packaged (screenshots have a package of their own)."""
    rel = _relative(warc_file)
    folder = Path(root, *rel.parts[:-1])
    run_id = rel.parts[-2]
    if "-screenshots-" in rel.name:
        return folder / f"{run_id}-screenshots.wacz"
    return folder / f"{run_id}.wacz"


@contextmanager
def open_warc(root: str | Path, warc_file: str) -> Iterator[IO[bytes]]:
    """A binary, seekable handle on ``warc_file`` (relative to ``root``): the loose file, else the entry
    ``archive/<name>`` of the run's WACZ. Raises ``EvidenceMissing`` naming what was looked for."""
    root = Path(root)
    rel = _relative(warc_file)
    loose = Path(root, *rel.parts)
    if loose.is_file():
        with open(loose, "rb") as handle:
            yield handle
        return
    package = package_of(root, warc_file)
    if not package.is_file():
        raise EvidenceMissing(f"{warc_file}: neither {loose} nor the package {package} exists")
    with zipfile.ZipFile(package) as wacz:
        try:
            info = wacz.getinfo(f"archive/{rel.name}")
        except KeyError:
            raise EvidenceMissing(f"{warc_file}: not in {package} (no archive/{rel.name})") from None
    with io.BufferedReader(StoredEntry(package, info), 1 << 16) as handle:
        yield handle


def read_member(root: str | Path, warc_file: str, offset: int, length: int) -> bytes:
    """The raw bytes (one gzip member) of the record at ``offset``/``length`` of ``warc_file``."""
    with open_warc(root, warc_file) as handle:
        handle.seek(offset)
        data = handle.read(length)
    if len(data) != length:
        raise EvidenceMissing(f"{warc_file}: {length} bytes expected at offset {offset}, {len(data)} found")
    return data


def parse_member(data: bytes) -> Any:
    """The one WARC record in ``data`` (a gzip member), with its content read: (record, payload bytes)."""
    for record in ArchiveIterator(io.BytesIO(data), arc2warc=False, check_digests=False):
        return record, record.content_stream().read()
    raise ValueError("no WARC record in these bytes")
