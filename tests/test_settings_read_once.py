"""No module reads the project's settings directly: each is read through its group (marketplace_spiders.config),
which owns its default, environment variable and conversion, so a setting cannot have two defaults again
(RUN_MAX_BLOCKED_SHARE was 0.0 in settings.py and 0.2 in validation.py) nor be read one way here and another
there. Scrapy's and scrapy-playwright's own settings (DOWNLOAD_MAXSIZE, PLAYWRIGHT_LAUNCH_OPTIONS…) may be read
directly.

The source of marketplace_spiders/ and analysis/ is parsed (``ast``): a read is ``x.get("NAME")`` (and getint,
getfloat, getbool, getlist, getdict, …), ``x["NAME"]``, ``os.environ.get("VAR")``, ``os.environ["VAR"]`` or
``os.getenv("VAR")`` with NAME one of the groups' settings or of the project's families (DUCKDB_…, WB_…), VAR
one of the groups' environment variables or named at run time, or a getter of settings called with a name built
at run time.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from marketplace_spiders.config import load_groups, setting_names

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("marketplace_spiders", "analysis")
# Where the settings are declared and read: the mechanism and the groups themselves.
OWNERS = {"marketplace_spiders/config.py", "marketplace_spiders/core_config.py"}
GETTERS = {"get", "getint", "getfloat", "getbool", "getlist", "getdict", "getdictorlist", "getwithbase",
           "getpriority", "pop", "setdefault"}
FAMILIES = re.compile(r"^(DUCKDB|STAGING|WATCHLIST|RECORD|REPLAY|BLOCK|HOST|RUN|BROWSER|CHROMIUM|CLASSIFY|WB|OZON|"
                      r"YANDEX_MARKET|MONITOR)_[A-Z0-9_]+$")


def _ours() -> tuple[set[str], set[str]]:
    every = load_groups()
    envs = {f.spec.env for group in every for f in group._fields() if f.spec.env}
    return setting_names(), envs


def _sources() -> list[Path]:
    files = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative in OWNERS or "/tests/" in relative or "/fixtures/" in relative:
                continue
            files.append(path)
    return files


def _is_environ(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "environ"


def _text(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def direct_reads(source: str, filename: str, names: set[str], envs: set[str]) -> list[str]:
    """Each direct read of one of ``names`` (or of the project's setting families) / ``envs`` in ``source``."""
    found = []

    def ours(text: str | None) -> bool:
        return text is not None and (text in names or bool(FAMILIES.match(text)))

    for node in ast.walk(ast.parse(source, filename)):
        where = f"{filename}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args:
            first = node.args[0]
            receiver = node.func.value
            env_read = (_is_environ(receiver) and node.func.attr in GETTERS) or node.func.attr == "getenv"
            if env_read and (_text(first) is None or _text(first) in envs or ours(_text(first))):
                found.append(f"{where}: environment variable {_text(first) or ast.unparse(first)} read directly")
            elif node.func.attr in GETTERS and ours(_text(first)):
                found.append(f"{where}: setting {_text(first)} read directly")
            elif (node.func.attr in GETTERS and isinstance(first, ast.JoinedStr)
                  and "settings" in ast.unparse(receiver).lower()):
                found.append(f"{where}: a setting named at run time read directly ({ast.unparse(node)})")
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
            key = _text(node.slice)
            if _is_environ(node.value) and (key is None or key in envs or ours(key)):
                found.append(f"{where}: environment variable {key or ast.unparse(node.slice)} read directly")
            elif ours(key):
                found.append(f"{where}: setting {key} read directly")
    return found


def test_no_module_reads_the_project_settings_directly():
    names, envs = _ours()
    problems = []
    for path in _sources():
        problems += direct_reads(path.read_text("utf-8"), path.relative_to(ROOT).as_posix(), names, envs)
    assert problems == [], "read these through their group (marketplace_spiders.config):\n" + "\n".join(problems)


def test_the_registry_holds_the_core_and_marketplace_groups():
    names, envs = _ours()
    assert {"DUCKDB_PATH", "RUN_MAX_BLOCKED_SHARE", "CHROMIUM_PATH", "WATCHLIST_PATH"} <= names
    assert {"MONITOR_DB", "MONITOR_WATCHLIST", "CHROMIUM_PATH"} <= envs


@pytest.mark.parametrize("code", [
    'settings.get("DUCKDB_PATH")',
    'self.crawler.settings.getint("RUN_MAX_ERRORS", 0)',
    'settings["REPLAY_DIR"]',
    'self.settings.getbool("WB_FETCH_SELLERS", True)',
    'self.settings.get(f"{self.settings_prefix}_{name}", default)',
    'os.environ.get("MONITOR_DB", "data/marketplace.duckdb")',
    'os.environ["CHROMIUM_PATH"]',
    'os.getenv("MONITOR_WATCHLIST")',
    'config.get("BROWSER_SOMETHING_NEW")',
    'os.environ.get(name, "").strip()',
    'os.environ.get("CLASSIFY_MAX_HITS")',
    'os.environ[name]',
])
def test_the_check_finds_each_kind_of_direct_read(code):
    """The reads the old code had (settings.py, pipelines.py, browser.py, spiders) are each found."""
    assert len(direct_reads(code, "x.py", {"DUCKDB_PATH", "REPLAY_DIR"}, {"MONITOR_DB", "CHROMIUM_PATH",
                                                                          "MONITOR_WATCHLIST"})) == 1


@pytest.mark.parametrize("code", [
    'settings.getint("DOWNLOAD_MAXSIZE", 0)',
    'settings.get("PLAYWRIGHT_LAUNCH_OPTIONS")',
    'os.environ.get("PLAYWRIGHT_BROWSERS_PATH")',
    'settings.set("CONCURRENT_REQUESTS", 4, priority="spider")',
    'meta.get(f"{name}_x")',
    '{"DUCKDB_PATH": str(path)}',
])
def test_scrapy_settings_and_writes_are_not_direct_reads(code):
    assert direct_reads(code, "x.py", {"DUCKDB_PATH"}, {"MONITOR_DB"}) == []
