"""The README's generated tables (marketplaces, settings) are what the registry and the settings groups say."""

import re
import subprocess
import sys

from sample_files import ROOT


def _block(name: str) -> str:
    text = (ROOT / "README.md").read_text("utf-8")
    match = re.search(rf"<!-- {name}:begin -->\n(.*?)\n<!-- {name}:end -->", text, re.S)
    assert match, f"README has no {name} block"
    return match.group(1).strip()


def _generated(module: str) -> str:
    done = subprocess.run([sys.executable, "-m", module], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_readme_marketplace_table_is_the_registry():
    assert _block("marketplaces") == _generated("marketplace_spiders.marketplaces")


def test_readme_settings_tables_are_the_settings_groups():
    assert _block("settings") == _generated("marketplace_spiders.config")
