"""Every generator and benchmark reads the real samples from the repository's copy (a marketplace's
marketplaces/<slug>/real_samples, or fixtures/real-samples for marketplaces not built yet), so a clone
regenerates its fixtures and runs its benchmarks with no ../shared folder beside it."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from sample_files import ROOT, real_sample_roots

SCRIPTS = [*sorted(ROOT.glob("marketplace_spiders/marketplaces/*/fixtures/*/derive.py")),
           *sorted(ROOT.glob("fixtures/*/*/derive.py")),
           ROOT / "bench" / "trust_benchmark.py", ROOT / "bench" / "replay_benchmark.py"]


def _module(path: Path):
    spec = importlib.util.spec_from_file_location(
        "sample_paths_" + "_".join(path.relative_to(ROOT).with_suffix("").parts[-4:]), path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the script runs
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


@pytest.mark.parametrize("script", SCRIPTS, ids=[str(p.relative_to(ROOT)) for p in SCRIPTS])
def test_sample_paths_point_into_the_repository_copy(script):
    module = _module(script)
    paths = [value for name, value in vars(module).items()
             if name.isupper() and "SAMPLE" in name and isinstance(value, Path)]
    assert paths, f"{script.name} names no sample path"
    for path in paths:
        roots = [root.resolve() for root in real_sample_roots().values()]
        assert any(path.resolve().is_relative_to(root) for root in roots), (script.name, path)
        assert path.exists(), path
