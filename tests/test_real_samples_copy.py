"""The real samples are in the repository, unchanged: the copy matches its checksums (and the team's shared
folder where it exists beside the clone), so tests never need to read outside the repository."""

import hashlib

import pytest
from sample_files import REAL_SAMPLES, ROOT

SHARED = ROOT.parent / "shared" / "real-samples"
LOCAL_FILES = {"SHA256SUMS", "README.md"}


def _manifest() -> dict[str, str]:
    entries = {}
    for line in (REAL_SAMPLES / "SHA256SUMS").read_text("utf-8").splitlines():
        digest, name = line.split(maxsplit=1)
        entries[name.removeprefix("./")] = digest
    return entries


def test_every_copied_sample_matches_its_checksum():
    manifest = _manifest()
    files = {p.relative_to(REAL_SAMPLES).as_posix() for p in REAL_SAMPLES.rglob("*") if p.is_file()}
    assert files - LOCAL_FILES == set(manifest), "files added or removed without updating SHA256SUMS"
    for name, digest in manifest.items():
        assert hashlib.sha256((REAL_SAMPLES / name).read_bytes()).hexdigest() == digest, name


def test_copy_equals_the_shared_samples_where_both_exist():
    if not SHARED.is_dir():
        pytest.skip("no ../shared/real-samples beside the clone: the checksum test is the whole check")
    for name in _manifest():
        shared = SHARED / name
        if shared.is_file():
            assert shared.read_bytes() == (REAL_SAMPLES / name).read_bytes(), name
