"""Every component reads its settings through its group, so one setting means the same thing everywhere: the
database of the crawl start, the pipeline, the ingest child and the commands; the browser's limits from the
final settings (-s wins over the environment); the core groups' documented defaults."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

from marketplace_spiders.config import SettingError, describe, setting_names
from marketplace_spiders.core_config import CORE_GROUPS, BrowserConfig, StorageConfig
from marketplace_spiders.items import FetchRecord, ListingObservation
from marketplace_spiders.spiders.base import MarketplaceSpider
from marketplace_spiders.storage import database as database_module
from marketplace_spiders.storage.database import Database, staging_root_for
from marketplace_spiders.storage.staging import RunStager

ROOT = Path(__file__).resolve().parents[1]
AT = datetime(2026, 11, 1, 6, tzinfo=UTC)


class StartSpider(MarketplaceSpider):
    """The crawl-start part every marketplace spider shares (MarketplaceSpider.from_crawler + load_history)."""

    name = "wildberries"


def stage_left_over_run(db_path: Path, run_id: str = "left-1", n: int = 20) -> None:
    """A finished run left staged beside the database (the database was locked at the end of its crawl)."""
    stager = RunStager(staging_root_for(db_path), run_id, batch_size=1000)
    for i in range(n):
        stager.add_item(ListingObservation("wildberries", str(i), f"u{i}", title=f"t{i}", price=Decimal("10.50"),
                                           observed_at=AT, response_sha256="s"))
    stager.add_item(FetchRecord("wildberries", "u", "detail", "ok", product_ids=["0"], fetched_at=AT))
    stager.finish({"run_id": run_id, "marketplace": "wildberries", "started_at": AT.isoformat(), "status": "ok"})


def spy_refresh_limits(monkeypatch) -> list[str]:
    """The DuckDB memory_limit in force at each analysis refresh after an ingest (the real refresh still runs)."""
    seen: list[str] = []
    real_refresh = database_module.refresh_analysis

    def refresh(con):
        seen.append(con.execute("SELECT current_setting('memory_limit')").fetchone()[0])
        real_refresh(con)

    monkeypatch.setattr(database_module, "refresh_analysis", refresh)
    return seen


@pytest.mark.parametrize(("limits", "refresh_limit"), [
    # the refresh limit never exceeds the ingest's own: 200 MB (as DuckDB reports it) proves the ingest limit
    ({"DUCKDB_INGEST_MEMORY_LIMIT": "200MB", "DUCKDB_REFRESH_MEMORY_LIMIT": "300MB"}, "190.7 MiB"),
    ({"DUCKDB_REFRESH_MEMORY_LIMIT": "250MB"}, "238.4 MiB"),
], ids=["ingest_limit", "refresh_limit"])
def test_the_ingest_at_crawl_start_runs_under_the_memory_limit_settings(tmp_path, monkeypatch, limits,
                                                                       refresh_limit):
    """Runs left staged are ingested at crawl start (MarketplaceSpider.load_history) under the same
    DUCKDB_INGEST_MEMORY_LIMIT / DUCKDB_REFRESH_MEMORY_LIMIT as the ingest child (the issue found they were not:
    both now come from the one StorageConfig of the crawl)."""
    db_path = tmp_path / "m.duckdb"
    with Database(db_path).session():
        pass  # the schema exists (its first refresh is not an ingest's)
    stage_left_over_run(db_path)
    seen = spy_refresh_limits(monkeypatch)
    spider = get_crawler(StartSpider, {"DUCKDB_PATH": str(db_path), **limits})._create_spider()

    spider.load_history()

    assert not (staging_root_for(db_path) / "left-1").exists()  # ingested at crawl start
    assert seen == [refresh_limit]
    assert len(spider.tracked) == 20


def test_the_crawl_database_comes_from_the_environment_when_no_setting_names_it(tmp_path, monkeypatch):
    monkeypatch.setenv("MONITOR_DB", str(tmp_path / "env.duckdb"))
    spider = get_crawler(StartSpider, {})._create_spider()
    assert spider.history.path == tmp_path / "env.duckdb"
    settings = Settings()
    settings.set("DUCKDB_PATH", str(tmp_path / "cmd.duckdb"), priority="cmdline")
    assert Database.from_settings(settings).path == tmp_path / "cmd.duckdb"  # -s wins over the environment


def test_the_ingest_child_builds_the_same_database_as_the_crawl(tmp_path):
    """The pipeline passes Database.storage_settings() to the child as -s options; the child builds its
    Database with Database.from_settings, so every storage setting (in any spelling DuckDB accepts) reaches it."""
    parent = Database.from_settings({"DUCKDB_PATH": str(tmp_path / "m.duckdb"), "DUCKDB_LOCK_TIMEOUT": "7.5",
                                     "DUCKDB_INGEST_MEMORY_LIMIT": "2 gigabytes", "DUCKDB_REFRESH_MEMORY_LIMIT": ""})
    child = Database.from_settings(parent.storage_settings(), environ={"MONITOR_DB": "elsewhere.duckdb"})
    assert (child.path, child.lock_timeout, child.memory_limit, child.refresh_memory_limit) == (
        parent.path, 7.5, "2 gigabytes", None)


def test_the_ingest_child_takes_storage_settings_as_s_options(tmp_path):
    db_path = tmp_path / "m.duckdb"
    stage_left_over_run(db_path, n=3000)
    result = subprocess.run(
        [sys.executable, "-m", "marketplace_spiders.storage.ingest_process", "--run-dir",
         str(staging_root_for(db_path) / "left-1"), f"-sDUCKDB_PATH={db_path}", "-sDUCKDB_REFRESH_MEMORY_LIMIT=1MB"],
        capture_output=True, text=True, check=False, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "analysis refresh needs more memory than 1MB" in result.stderr
    with Database(db_path).session(read_only=True) as con:
        assert con.execute("SELECT count(*) FROM current_listings").fetchone()[0] == 3000


def test_a_bad_storage_setting_in_the_ingest_child_names_the_setting(tmp_path):
    db_path = tmp_path / "m.duckdb"
    stage_left_over_run(db_path)
    result = subprocess.run(
        [sys.executable, "-m", "marketplace_spiders.storage.ingest_process", "--run-dir",
         str(staging_root_for(db_path) / "left-1"), f"-sDUCKDB_PATH={db_path}", "-sDUCKDB_LOCK_TIMEOUT=soon"],
        capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert "DUCKDB_LOCK_TIMEOUT: is not a number (got 'soon'" in result.stderr
    assert (staging_root_for(db_path) / "left-1" / "run.json").exists()  # the run stays staged


def test_scrapy_ingest_honours_the_memory_limit_settings(tmp_path):
    """`scrapy ingest` builds its Database from the settings too (a misspelt limit is refused, naming it)."""
    db_path = tmp_path / "m.duckdb"
    stage_left_over_run(db_path)
    scrapy = str(Path(sys.executable).with_name("scrapy"))
    bad = subprocess.run([scrapy, "ingest", "-s", f"DUCKDB_PATH={db_path}", "-s", "DUCKDB_INGEST_MEMORY_LIMIT=lots"],
                         cwd=ROOT, capture_output=True, text=True, check=False)
    assert bad.returncode != 0
    assert "DUCKDB_INGEST_MEMORY_LIMIT: not a memory size like '300MB' or '1GiB' (got 'lots'" in bad.stderr
    good = subprocess.run([scrapy, "ingest", "-s", f"DUCKDB_PATH={db_path}", "-s", "DUCKDB_INGEST_MEMORY_LIMIT=300MB"],
                          cwd=ROOT, capture_output=True, text=True, check=False)
    assert good.returncode == 0, good.stderr
    assert "ingested 1 run(s)" in good.stdout


@pytest.mark.parametrize("command", [
    ["ingest"],
    ["import_sanctions", str(ROOT / "fixtures" / "classify" / "sanctions" / "targets.simple.csv")],
    ["classify", "--rebuild"],
], ids=["ingest", "import_sanctions", "classify_rebuild"])
def test_every_command_opens_the_database_with_the_storage_settings(tmp_path, command):
    """`scrapy import_sanctions` and `scrapy classify --db` built their Database without
    DUCKDB_INGEST_MEMORY_LIMIT: a misspelt limit was silently ignored there, and a right one never applied."""
    db_path = tmp_path / "m.duckdb"
    with Database(db_path).session():
        pass
    scrapy = str(Path(sys.executable).with_name("scrapy"))
    where = ["--db", str(db_path)] if command[0] != "ingest" else []
    result = subprocess.run([scrapy, *command, *where, "-s", f"DUCKDB_PATH={db_path}", "-s",
                             "DUCKDB_INGEST_MEMORY_LIMIT=lots"], cwd=ROOT, capture_output=True, text=True,
                            check=False, stdin=subprocess.DEVNULL)
    assert result.returncode != 0
    assert "DUCKDB_INGEST_MEMORY_LIMIT: not a memory size like '300MB' or '1GiB' (got 'lots'" in result.stderr


# -- browser: nothing read at import time, -s wins ------------------------------------------------------------

BROWSER_CRAWLER = """
import json, sys
from scrapy.crawler import Crawler
from scrapy.utils.project import get_project_settings
import scrapy
from marketplace_spiders.browser import browser_settings


class BrowserShop(scrapy.Spider):  # as the browser marketplaces declare it, evaluated at import time
    name = "browsershop"
    custom_settings = browser_settings()

settings = get_project_settings()
for pair in sys.argv[1:]:
    name, value = pair.split("=", 1)
    settings.set(name, value, priority="cmdline")
crawler = Crawler(BrowserShop, settings, init_reactor=True)
crawler._apply_settings()  # the spider's custom_settings, then the add-ons (BrowserAddon)
s = crawler.settings
print(json.dumps({"concurrent": s.getint("CONCURRENT_REQUESTS"), "pages": s.getint("PLAYWRIGHT_MAX_PAGES_PER_CONTEXT"),
                  "contexts": s.getint("PLAYWRIGHT_MAX_CONTEXTS"),
                  "executable": s.getdict("PLAYWRIGHT_LAUNCH_OPTIONS").get("executable_path"),
                  "args": s.getdict("PLAYWRIGHT_LAUNCH_OPTIONS").get("args")}))
"""


def browser_crawl_settings(env: dict[str, str], *cmdline: str) -> dict:
    result = subprocess.run([sys.executable, "-c", BROWSER_CRAWLER, *cmdline], cwd=ROOT,
                            env={**os.environ, **env}, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_command_line_browser_settings_beat_the_environment_read_when_the_spider_module_is_imported():
    """The issue: custom_settings = browser_settings() read the environment at import, so the launch options and
    CONCURRENT_REQUESTS came from the environment whatever -s said."""
    env = {"CHROMIUM_PATH": "/nonexistent/chromium", "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": "2",
           "BROWSER_BLOCK_RESOURCES": "1"}
    got = browser_crawl_settings(env, f"CHROMIUM_PATH={sys.executable}", "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT=3",
                                 "BROWSER_BLOCK_RESOURCES=off")
    assert got["executable"] == sys.executable
    assert (got["pages"], got["concurrent"]) == (3, 3)
    assert "--blink-settings=imagesEnabled=false" not in got["args"]


def test_browser_environment_applies_when_no_setting_is_given():
    got = browser_crawl_settings({"PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": "2", "CHROMIUM_PATH": sys.executable})
    assert (got["pages"], got["contexts"], got["concurrent"], got["executable"]) == (2, 1, 2, sys.executable)


def test_old_browser_setting_name_on_the_command_line_still_counts():
    got = browser_crawl_settings({"CHROMIUM_PATH": sys.executable}, "BROWSER_MAX_CONTEXTS=2")
    assert (got["contexts"], got["concurrent"]) == (2, 8)


def test_browser_group_precedence_in_process():
    settings = Settings({"PLAYWRIGHT_MAX_CONTEXTS": 1})
    settings.set("BROWSER_PAGE_MAX_USES", "5", priority="cmdline")
    config = BrowserConfig.from_settings(settings, environ={"BROWSER_PAGE_MAX_USES": "50", "CHROMIUM_PATH": "/c"})
    assert (config.page_max_uses, config.chromium_path, config.max_contexts) == (5, "/c", 1)
    with pytest.raises(SettingError, match="^BROWSER_PAGE_MAX_USES: must be at least 1"):
        BrowserConfig.from_settings({"BROWSER_PAGE_MAX_USES": "0"}, environ={})


# -- the core groups --------------------------------------------------------------------------------------------


def test_core_groups_document_every_setting_the_readme_names():
    text = describe(CORE_GROUPS)
    for name in ("DUCKDB_PATH", "DUCKDB_LOCK_TIMEOUT", "DUCKDB_INGEST_MEMORY_LIMIT", "DUCKDB_REFRESH_MEMORY_LIMIT",
                 "STAGING_BATCH_SIZE", "EVIDENCE_DIR", "EVIDENCE_TSA_URLS", "REPLAY_DIR", "REPLAY_OBSERVED_AT",
                 "REPARSE_RUN", "BLOCK_RETRY_TIMES",
                 "BLOCK_BACKOFF_BASE", "BLOCK_BACKOFF_MAX", "HOST_MAX_CONSECUTIVE_FAILURES", "RUN_MIN_VALID_SHARE",
                 "RUN_MAX_BLOCKED_SHARE", "RUN_MAX_ERRORS", "RUN_MIN_TERM_RATIO", "RUN_HISTORY_RUNS",
                 "RUN_MIN_HISTORY_RUNS", "RUN_EXPECTATIONS", "WATCHLIST_PATH", "CHROMIUM_PATH",
                 "BROWSER_BLOCK_RESOURCES", "BROWSER_PAGE_REUSE", "BROWSER_PAGE_MAX_USES"):
        assert f"| `{name}`" in text
        assert name in setting_names()
    assert "| `DUCKDB_PATH` | `MONITOR_DB` | `data/marketplace.duckdb` |" in text
    assert "| `WATCHLIST_PATH` | `MONITOR_WATCHLIST` | unset |" in text


def test_project_settings_show_the_group_values_and_command_line_wins(tmp_path):
    """settings.py holds no default of ours: it shows each group's value, so `scrapy settings --get` and a
    crawl agree, and -s still wins."""
    scrapy = str(Path(sys.executable).with_name("scrapy"))
    env = {**os.environ, "MONITOR_DB": str(tmp_path / "env.duckdb")}
    shown = subprocess.run([scrapy, "settings", "--get", "DUCKDB_PATH"], cwd=ROOT, env=env, capture_output=True,
                           text=True, check=True).stdout.strip()
    assert shown == str(tmp_path / "env.duckdb")
    shown = subprocess.run([scrapy, "settings", "--get", "DUCKDB_PATH", "-s", "DUCKDB_PATH=x.duckdb"], cwd=ROOT,
                           env=env, capture_output=True, text=True, check=True).stdout.strip()
    assert shown == "x.duckdb"
    source = (ROOT / "marketplace_spiders" / "settings.py").read_text("utf-8")
    for name in ("DUCKDB_LOCK_TIMEOUT =", "RUN_MAX_BLOCKED_SHARE =", "BLOCK_RETRY_TIMES =", "STAGING_BATCH_SIZE ="):
        assert name not in source


def test_a_bad_replay_time_is_refused_naming_the_setting():
    from marketplace_spiders.core_config import RecordingConfig

    with pytest.raises(SettingError, match="^REPLAY_OBSERVED_AT: is not an ISO time"):
        RecordingConfig.from_settings({"REPLAY_OBSERVED_AT": "yesterday"})


def test_storage_group_refuses_a_bad_batch_size():
    with pytest.raises(SettingError, match="^STAGING_BATCH_SIZE: must be at least 1"):
        StorageConfig.from_settings({"STAGING_BATCH_SIZE": "0"}, environ={})


def test_classifier_limits_come_from_their_group_and_a_bad_one_names_itself():
    """CLASSIFY_MAX_HITS / CLASSIFY_MAX_FIELD_CHARS were read with int(os.environ[...]): 'x' gave a bare
    "invalid literal for int()"."""
    code = "from marketplace_spiders.classify import engine; print(engine.MAX_HITS, engine.MAX_FIELD_CHARS)"
    env = {**os.environ, "CLASSIFY_MAX_HITS": "7", "CLASSIFY_MAX_FIELD_CHARS": ""}
    good = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert good.stdout.split() == ["7", "100000"]
    env["CLASSIFY_MAX_HITS"] = "x"
    bad = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)
    assert bad.returncode != 0
    assert "CLASSIFY_MAX_HITS: is not an integer (got 'x', from environment variable CLASSIFY_MAX_HITS)" in bad.stderr
