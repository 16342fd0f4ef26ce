"""The settings mechanism (marketplace_spiders.config): precedence, conversion, errors naming the setting, docs."""

from __future__ import annotations

from dataclasses import FrozenInstanceError, dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from scrapy.settings import Settings

from marketplace_spiders.config import (
    SettingError,
    SettingsGroup,
    at_least,
    between,
    describe,
    groups,
    one_of,
    setting,
    setting_names,
)


@dataclass(frozen=True)
class ExampleConfig(SettingsGroup, prefix="EXAMPLE_"):
    """Example component."""

    retries: int = setting(3, "attempts per request", env="EXAMPLE_RETRIES_ENV", check=at_least(0))
    share: float = setting(0.5, "allowed share", check=between(0, 1))
    enabled: bool = setting(True, "whether it runs")
    label: str = setting("", "a label; empty = none")
    folder: str | None = setting(None, "a folder", env="EXAMPLE_FOLDER_ENV")
    limit: int | None = setting(None, "an optional cap")
    price: Decimal = setting(Decimal("1.50"), "a price")
    path: Path = setting(Path("data/x"), "a path")
    options: dict = setting({"a": 1}, "JSON options")
    names: list = setting([], "JSON list")
    mode: str = setting("fast", "a mode", check=one_of("fast", "slow"))
    renamed: int = setting(7, "a setting with an older name", name="EXAMPLE_NEW", aliases=("EXAMPLE_OLD",))


def cmdline(**values: object) -> Settings:
    """Settings as ``scrapy crawl -s NAME=value`` gives them: strings at cmdline priority over a project value."""
    settings = Settings({"EXAMPLE_RETRIES": 5})  # project (settings.py) level
    for name, value in values.items():
        settings.set(name, value, priority="cmdline")
    return settings


def test_defaults_when_neither_setting_nor_environment():
    config = ExampleConfig.from_settings(Settings(), environ={})
    assert (config.retries, config.share, config.enabled, config.folder, config.options) == (3, 0.5, True, None,
                                                                                               {"a": 1})
    assert ExampleConfig.sources(Settings(), environ={})["EXAMPLE_RETRIES"].kind == "default"


def test_command_line_setting_beats_environment_and_project_value():
    settings = cmdline(EXAMPLE_RETRIES="9")
    config = ExampleConfig.from_settings(settings, environ={"EXAMPLE_RETRIES_ENV": "4"})
    assert config.retries == 9


def test_environment_beats_default_when_setting_absent():
    config = ExampleConfig.from_settings(Settings(), environ={"EXAMPLE_RETRIES_ENV": "4", "EXAMPLE_FOLDER_ENV": "/r"})
    assert (config.retries, config.folder) == (4, "/r")
    assert str(ExampleConfig.sources(Settings(), environ={"EXAMPLE_RETRIES_ENV": "4"})["EXAMPLE_RETRIES"]) == (
        "from environment variable EXAMPLE_RETRIES_ENV")


def test_empty_environment_variable_counts_as_unset():
    assert ExampleConfig.from_settings({}, environ={"EXAMPLE_FOLDER_ENV": ""}).folder is None


def test_empty_string_setting_is_a_value_not_absence():
    # `-s EXAMPLE_LABEL=` must give "", not fall through to the environment or default
    assert ExampleConfig.from_settings(cmdline(EXAMPLE_LABEL=""), environ={}).label == ""
    # and for an optional field "" means None even when the environment has a value
    config = ExampleConfig.from_settings(cmdline(EXAMPLE_FOLDER=""), environ={"EXAMPLE_FOLDER_ENV": "/r"})
    assert config.folder is None


def test_string_values_from_command_line_are_converted_to_field_types():
    config = ExampleConfig.from_settings(cmdline(
        EXAMPLE_SHARE="0.25", EXAMPLE_ENABLED="false", EXAMPLE_LIMIT="12", EXAMPLE_PRICE="2.10",
        EXAMPLE_PATH="/tmp/p", EXAMPLE_OPTIONS='{"b": [1, 2]}', EXAMPLE_NAMES='["x"]', EXAMPLE_MODE="slow",
    ), environ={})
    assert config.share == 0.25 and isinstance(config.share, float)
    assert config.enabled is False
    assert config.limit == 12
    assert config.price == Decimal("2.10") and isinstance(config.price, Decimal)
    assert config.path == Path("/tmp/p")
    assert config.options == {"b": [1, 2]}
    assert config.names == ["x"]
    assert config.mode == "slow"


@pytest.mark.parametrize("text,expected", [("1", True), ("0", False), ("yes", True), ("OFF", False),
                                           ("True", True), (" false ", False), (True, True), (0, False)])
def test_boolean_spellings(text, expected):
    assert ExampleConfig.from_settings(cmdline(EXAMPLE_ENABLED=text), environ={}).enabled is expected


def test_python_values_from_settings_py_are_accepted_as_they_are():
    config = ExampleConfig.from_settings({"EXAMPLE_SHARE": 1, "EXAMPLE_OPTIONS": {"c": 3}, "EXAMPLE_NAMES": ("a",)},
                                         environ={})
    assert config.share == 1.0 and isinstance(config.share, float)
    assert config.options == {"c": 3}
    assert config.names == ["a"]


@pytest.mark.parametrize("name,value,problem", [
    ("EXAMPLE_RETRIES", "three", "is not an integer"),
    ("EXAMPLE_RETRIES", "2.5", "is not an integer"),
    ("EXAMPLE_RETRIES", "-1", "must be at least 0"),
    ("EXAMPLE_SHARE", "abc", "is not a number"),
    ("EXAMPLE_SHARE", "nan", "is not a finite number"),
    ("EXAMPLE_SHARE", "1.5", "must be between 0 and 1"),
    ("EXAMPLE_ENABLED", "maybe", "is not a boolean"),
    ("EXAMPLE_PRICE", "1,50", "is not a decimal number"),
    ("EXAMPLE_OPTIONS", "{broken", "is not valid JSON"),
    ("EXAMPLE_OPTIONS", "[1]", "is not a JSON object"),
    ("EXAMPLE_MODE", "medium", "must be one of"),
    ("EXAMPLE_LIMIT", "lots", "is not an integer"),
])
def test_bad_value_is_an_error_naming_the_setting_and_the_problem(name, value, problem):
    with pytest.raises(SettingError) as caught:
        ExampleConfig.from_settings(cmdline(**{name: value}), environ={})
    message = str(caught.value)
    assert message.startswith(f"{name}: ")
    assert problem in message
    assert f"got {value!r}, from the Scrapy setting {name}" in message
    assert caught.value.name == name


def test_bad_environment_value_names_setting_and_variable():
    with pytest.raises(SettingError, match=r"^EXAMPLE_RETRIES: is not an integer \(got 'x', from environment "
                                           r"variable EXAMPLE_RETRIES_ENV\)$"):
        ExampleConfig.from_settings({}, environ={"EXAMPLE_RETRIES_ENV": "x"})


def test_none_is_only_accepted_by_optional_fields():
    assert ExampleConfig.from_settings(cmdline(EXAMPLE_LIMIT="none"), environ={}).limit is None
    with pytest.raises(SettingError, match="EXAMPLE_RETRIES: is not an integer \\(got 'none'"):
        ExampleConfig.from_settings(cmdline(EXAMPLE_RETRIES="none"), environ={})


def test_old_name_is_still_read_and_new_name_wins():
    assert ExampleConfig.from_settings({"EXAMPLE_OLD": "8"}, environ={}).renamed == 8
    assert ExampleConfig.from_settings({"EXAMPLE_OLD": "8", "EXAMPLE_NEW": "9"}, environ={}).renamed == 9


def test_old_name_on_the_command_line_beats_new_name_in_project_settings():
    settings = Settings({"EXAMPLE_NEW": 1})  # project priority, as settings.py writes it
    settings.set("EXAMPLE_OLD", "8", priority="cmdline")
    assert ExampleConfig.from_settings(settings, environ={}).renamed == 8


def test_group_is_frozen_and_mutable_defaults_are_not_shared():
    first = ExampleConfig.from_settings({}, environ={})
    with pytest.raises(FrozenInstanceError):
        first.retries = 1  # type: ignore[misc]
    first.options["a"] = 99
    assert ExampleConfig.from_settings({}, environ={}).options == {"a": 1}


def test_group_without_frozen_dataclass_is_refused():
    class Loose(SettingsGroup, prefix="LOOSE_"):
        pass

    with pytest.raises(TypeError, match="must be decorated with @dataclass"):
        Loose.from_settings({})


def test_field_without_setting_declaration_is_refused():
    @dataclass(frozen=True)
    class Bare(SettingsGroup):
        value: int = 3

    with pytest.raises(TypeError, match=r"Bare.value is not declared with setting"):
        Bare.from_settings({})


def test_describe_lists_every_setting_with_default_env_and_doc():
    text = describe([ExampleConfig])
    assert "### Example component." in text
    assert "| `EXAMPLE_RETRIES` | `EXAMPLE_RETRIES_ENV` | `3` | attempts per request |" in text
    assert '| `EXAMPLE_LABEL` |  | `""` |' in text
    assert "| `EXAMPLE_FOLDER` | `EXAMPLE_FOLDER_ENV` | unset |" in text
    assert "`EXAMPLE_NEW` (also `EXAMPLE_OLD`)" in text
    assert text.count("\n| `EXAMPLE_") == 12


def test_setting_names_include_aliases_and_registered_groups():
    assert {"EXAMPLE_RETRIES", "EXAMPLE_NEW", "EXAMPLE_OLD"} <= setting_names([ExampleConfig])
    assert "EXAMPLE_SHARE" not in setting_names()  # groups defined outside the package are not the project's


def test_as_settings_round_trips_through_from_settings():
    config = ExampleConfig.from_settings(cmdline(EXAMPLE_RETRIES="9", EXAMPLE_FOLDER="/f"), environ={})
    assert ExampleConfig.from_settings(config.as_settings(), environ={}) == config


@dataclass(frozen=True)
class SharedMarketConfig(SettingsGroup, abstract=True):
    """Shared by every market."""

    max_pages: int = setting(3, "pages per term", check=at_least(1))


@dataclass(frozen=True)
class MarketAConfig(SharedMarketConfig, prefix="MARKETA_"):
    """Market A."""

    retries: int = setting(2, "retries")


def test_abstract_group_shares_fields_under_each_subclass_prefix():
    config = MarketAConfig.from_settings(cmdline(MARKETA_MAX_PAGES="5"), environ={})
    assert (config.max_pages, config.retries) == (5, 2)
    assert MarketAConfig.setting_names() == ["MARKETA_MAX_PAGES", "MARKETA_RETRIES"]
    assert SharedMarketConfig not in groups(package="tests") and MarketAConfig in groups(package="test_config")


def test_from_crawler_builds_a_group_once_per_crawler(tmp_path):
    from scrapy import Spider
    from scrapy.utils.test import get_crawler

    crawler = get_crawler(Spider, {"EXAMPLE_RETRIES": "4"})
    crawler.settings.freeze()
    first = ExampleConfig.from_crawler(crawler)
    assert first.retries == 4
    assert ExampleConfig.from_crawler(crawler) is first
