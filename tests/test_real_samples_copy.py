"""The real samples are in the repository, unchanged, wherever they live (a built marketplace's
marketplaces/<slug>/real_samples, fixtures/real-samples for the others): every one matches its checksum in
fixtures/real-samples/SHA256SUMS (named as in the team's shared/real-samples), and the shared folder where it
exists beside the clone, so tests never need to read outside the repository."""

import hashlib

import pytest
from sample_files import REAL_SAMPLES, ROOT, real_sample_files, real_sample_roots

SHARED = ROOT.parent / "shared" / "real-samples"


def _manifest() -> dict[str, str]:
    entries = {}
    for line in (REAL_SAMPLES / "SHA256SUMS").read_text("utf-8").splitlines():
        digest, name = line.split(maxsplit=1)
        entries[name.removeprefix("./")] = digest
    return entries


def test_every_copied_sample_matches_its_checksum():
    manifest = _manifest()
    files = real_sample_files()
    assert set(files) == set(manifest), "files added or removed without updating SHA256SUMS"
    for name, digest in manifest.items():
        assert hashlib.sha256(files[name].read_bytes()).hexdigest() == digest, name


def test_samples_moved_into_a_marketplace_folder_are_still_checksummed():
    """A built marketplace's samples are checked in their new home, not dropped from the check."""
    moved = {name for name, path in real_sample_files().items() if not path.is_relative_to(REAL_SAMPLES)}
    assert moved, "no real sample lives in a marketplace folder"
    assert moved <= set(_manifest())


def test_a_built_marketplace_keeps_no_samples_in_the_shared_copy():
    """One home per marketplace: fixtures/real-samples/<slug>/ is only for marketplaces not built yet."""
    for slug in real_sample_roots():
        if slug:
            assert not (REAL_SAMPLES / slug).exists(), f"fixtures/real-samples/{slug} beside its marketplace folder"


def test_copy_equals_the_shared_samples_where_both_exist():
    if not SHARED.is_dir():
        pytest.skip("no ../shared/real-samples beside the clone: the checksum test is the whole check")
    for name, path in real_sample_files().items():
        shared = SHARED / name
        if shared.is_file():
            assert shared.read_bytes() == path.read_bytes(), name
