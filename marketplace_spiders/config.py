"""Every setting of the monitor, read once and in one place.

A component's settings are one frozen dataclass, a :class:`SettingsGroup`, whose fields each carry the
setting's name, default, environment variable and one-line doc (modelled on scrapy-playwright's
``Config.from_settings``). A component builds its group once, from the crawler's settings, and reads only it::

    from dataclasses import dataclass
    from marketplace_spiders.config import SettingsGroup, setting

    @dataclass(frozen=True)
    class WildberriesConfig(SettingsGroup, prefix="WB_"):
        \"\"\"Wildberries spider.\"\"\"

        impersonate: bool = setting(True, "send the catalogue API requests with a browser's TLS fingerprint")
        max_pages: int = setting(10, "search result pages per term", check=at_least(1))
        dest: str | None = setting(None, "delivery region id", env="WB_DEST")

    config = WildberriesConfig.from_settings(crawler.settings)      # WB_IMPERSONATE, WB_MAX_PAGES, WB_DEST

Each field's value is, first one found:

1. the Scrapy setting (``-s NAME=value`` on the command line, a spider's ``custom_settings``, or
   ``settings.py``, in Scrapy's own priority order), even when it is ``""``;
2. the environment variable named by ``env=`` (an empty one counts as unset);
3. the default.

Settings this module owns are therefore *not* defined in ``settings.py`` (a value there would hide the
environment variable): the group owns the default. The value is converted to the field's annotation: ``int``,
``float``, ``bool`` (true/false, 1/0, yes/no, on/off), ``str``, ``Decimal``, ``Path``, ``X | None`` (``""``
or ``"none"`` -> None), ``dict``/``list`` (JSON text or the object itself); ``parse=`` overrides this. A value
that does not convert or fails its ``check=`` raises :class:`SettingError`, naming the setting and where the
value came from.

The setting name is ``name=`` if given, else the group's ``prefix`` + the field name upper-cased.
``aliases=`` are older names still read (after the name itself, before the environment). :func:`describe`
renders every registered group as Markdown (the README's "Settings" section); :func:`setting_names` lists
every name, so a test can check that no other module reads them directly.
"""

from __future__ import annotations

import dataclasses
import json
import os
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar, TypeVar

from marketplace_spiders.config_values import at_least, between, converter, one_of

__all__ = [
    "SettingError", "SettingsGroup", "Source", "at_least", "between", "describe", "groups", "load_groups",
    "one_of", "project_settings", "setting", "setting_names",
]

G = TypeVar("G", bound="SettingsGroup")
_META_KEY = "marketplace_spiders.config"
_REGISTRY: list[type[SettingsGroup]] = []


class SettingError(ValueError):
    """A setting has a value that cannot be used; the message names the setting and where the value came from."""

    def __init__(self, name: str, source: str, value: Any, problem: str) -> None:
        self.name, self.source, self.value, self.problem = name, source, value, problem
        shown = repr(value) if len(repr(value)) <= 80 else repr(value)[:77] + "..."
        super().__init__(f"{name}: {problem} (got {shown}, {source})")


@dataclasses.dataclass(frozen=True)
class Source:
    """Where a field's value came from: ``kind`` is "setting", "env" or "default"; ``name`` the setting or
    environment variable."""

    kind: str
    name: str

    def __str__(self) -> str:
        return {"setting": f"from the Scrapy setting {self.name}", "env": f"from environment variable {self.name}",
                "default": "the default"}[self.kind]


@dataclasses.dataclass(frozen=True)
class _Spec:
    doc: str
    name: str | None
    env: str | None
    aliases: tuple[str, ...]
    check: Callable[[Any], str | None] | None
    parse: Callable[[Any], Any] | None


def setting(default: Any, doc: str, *, name: str | None = None, env: str | None = None,
            aliases: Iterable[str] = (), check: Callable[[Any], str | None] | None = None,
            parse: Callable[[Any], Any] | None = None, default_factory: Callable[[], Any] | None = None) -> Any:
    """A field of a :class:`SettingsGroup`. ``doc``: one line for the README. ``name``: the setting name
    (default: the group prefix + the field name upper-cased). ``env``: an environment variable read when
    the setting is absent. ``aliases``: older setting names still read. ``check``: called with the converted
    value, returns a problem ("must be at least 0") or None. ``parse``: converts a raw value instead of the
    annotation (raise ValueError/TypeError on a bad one). Mutable defaults (dict, list) are copied."""
    spec = _Spec(doc=doc, name=name, env=env, aliases=tuple(aliases), check=check, parse=parse)
    metadata = {_META_KEY: spec}
    if default_factory is None and isinstance(default, (dict, list, set)):
        default_factory = (lambda value: lambda: json.loads(json.dumps(value)))(default)
    if default_factory is not None:
        return dataclasses.field(default_factory=default_factory, metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


# -- groups -------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Field:
    attr: str
    name: str
    spec: _Spec
    default: Any
    convert: Callable[[Any], Any]
    optional: bool
    factory: Callable[[], Any] | None

    def fresh_default(self) -> Any:
        return self.factory() if self.factory is not None else self.default


class SettingsGroup:
    """Base of a component's settings: subclass it as a ``@dataclass(frozen=True)`` whose fields are
    :func:`setting` s, optionally with ``prefix="WB_"``. Build it with :meth:`from_crawler` (once per crawl)
    or :meth:`from_settings`. ``abstract=True``: a base of groups (its fields are shared, each subclass
    with its own prefix), left out of :func:`groups` and :func:`describe`. A subclass inherits its base's
    prefix unless it names its own."""

    prefix: ClassVar[str] = ""
    _fields_cache: ClassVar[tuple[_Field, ...] | None] = None

    def __init_subclass__(cls, prefix: str | None = None, abstract: bool = False, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if prefix is not None:
            cls.prefix = prefix
        cls._fields_cache = None
        if not abstract:
            _REGISTRY.append(cls)

    @classmethod
    def _fields(cls) -> tuple[_Field, ...]:
        if cls.__dict__.get("_fields_cache") is not None:
            return cls._fields_cache  # type: ignore[return-value]
        params = getattr(cls, "__dataclass_params__", None)
        if not dataclasses.is_dataclass(cls) or params is None or not params.frozen:
            raise TypeError(f"{cls.__name__} must be decorated with @dataclass(frozen=True)")
        hints = typing.get_type_hints(cls)
        result = []
        for f in dataclasses.fields(cls):
            spec = f.metadata.get(_META_KEY)
            if spec is None:
                raise TypeError(f"{cls.__name__}.{f.name} is not declared with setting(...)")
            factory = None if f.default_factory is dataclasses.MISSING else f.default_factory
            default = factory() if factory is not None else f.default
            hint = hints[f.name]
            optional = typing.get_origin(hint) in (typing.Union, types.UnionType) and type(None) in typing.get_args(
                hint)
            convert = spec.parse or converter(hint)[0]
            result.append(_Field(f.name, spec.name or cls.prefix + f.name.upper(), spec, default, convert,
                                 optional, factory))
        cls._fields_cache = tuple(result)
        return cls._fields_cache

    @classmethod
    def from_settings(cls: type[G], settings: Any = None, environ: Mapping[str, str] | None = None) -> G:
        """The group from Scrapy ``Settings`` (or any mapping; None = no settings) and ``environ`` (default
        ``os.environ``): for each field the setting, else its environment variable, else the default.
        Raises :class:`SettingError` on a value that does not convert or fails its check."""
        settings = {} if settings is None else settings
        environ = os.environ if environ is None else environ
        values = {}
        for f in cls._fields():
            raw, source = _lookup(f, settings, environ)
            values[f.attr] = _convert(f, raw, source)
        return cls(**values)

    @classmethod
    def from_crawler(cls: type[G], crawler: Any) -> G:
        """The group of ``crawler``'s settings, built once per crawler once its settings are final (frozen):
        every component of a crawl sees the same values."""
        settings = crawler.settings
        if not getattr(settings, "frozen", False):
            return cls.from_settings(settings)
        built = crawler.__dict__.setdefault("_settings_groups", {})
        if cls not in built:
            built[cls] = cls.from_settings(settings)
        return built[cls]

    @classmethod
    def sources(cls, settings: Any = None, environ: Mapping[str, str] | None = None) -> dict[str, Source]:
        """Where each field's value would come from (setting, environment or default), by setting name."""
        settings = {} if settings is None else settings
        environ = os.environ if environ is None else environ
        return {f.name: _lookup(f, settings, environ)[1] for f in cls._fields()}

    @classmethod
    def setting_names(cls) -> list[str]:
        """The setting names (and aliases) of this group."""
        return [n for f in cls._fields() for n in (f.name, *f.spec.aliases)]

    @classmethod
    def describe(cls) -> str:
        """This group as a Markdown table: setting, environment variable, default, doc."""
        title = " ".join((cls.__doc__ or cls.__name__).strip().split("\n\n")[0].split())  # the first paragraph
        lines = [f"### {title}", "", "| setting | environment | default | meaning |", "|---|---|---|---|"]
        for f in cls._fields():
            names = f"`{f.name}`" + "".join(f" (also `{a}`)" for a in f.spec.aliases)
            env = f"`{f.spec.env}`" if f.spec.env else ""
            lines.append(f"| {names} | {env} | {_show(f.default)} | {f.spec.doc.replace('|', '/')} |")
        return "\n".join(lines)

    def as_settings(self) -> dict[str, Any]:
        """The group's values by setting name (e.g. to pass on to a child process as ``-s`` options)."""
        return {f.name: getattr(self, f.attr) for f in self._fields()}


def _present(settings: Any, name: str) -> bool:
    try:
        return name in settings and settings[name] is not None
    except TypeError:
        return False


def _priority(settings: Any, name: str) -> int:
    getpriority = getattr(settings, "getpriority", None)
    return (getpriority(name) or 0) if getpriority is not None else 0


def _lookup(f: _Field, settings: Any, environ: Mapping[str, str]) -> tuple[Any, Source]:
    present = [name for name in (f.name, *f.spec.aliases) if _present(settings, name)]
    if present:
        # an old name given with -s beats the new name's settings.py value (Scrapy priorities); on a tie the
        # new name wins
        name = max(present, key=lambda n: _priority(settings, n))
        return settings[name], Source("setting", name)
    if f.spec.env and environ.get(f.spec.env, "") != "":
        return environ[f.spec.env], Source("env", f.spec.env)
    return f.fresh_default(), Source("default", f.name)


def _convert(f: _Field, raw: Any, source: Source) -> Any:
    if source.kind == "default":
        return raw
    if raw is None or (f.optional and isinstance(raw, str) and raw.strip().lower() in ("", "none")):
        value = None
    else:
        try:
            value = f.convert(raw)
        except (ValueError, TypeError) as exc:
            raise SettingError(f.name, str(source), raw, str(exc) or "is not a valid value") from None
    if value is None and not f.optional:
        raise SettingError(f.name, str(source), raw, "must be set (this setting has no 'none')")
    problem = f.spec.check(value) if f.spec.check else None
    if problem:
        raise SettingError(f.name, str(source), raw, problem)
    return value


def _show(value: Any) -> str:
    if value is None:
        return "unset"
    if value == "":
        return '`""`'
    if isinstance(value, (dict, list)):
        return f"`{json.dumps(value, ensure_ascii=False)}`"
    return f"`{value}`"


def groups(package: str = "marketplace_spiders") -> list[type[SettingsGroup]]:
    """Every group defined so far in modules of ``package`` (import a module to register its groups; groups
    defined elsewhere, e.g. in tests, are left out)."""
    return [g for g in _REGISTRY if g.__module__ == package or g.__module__.startswith(package + ".")]


def load_groups(package: str = "marketplace_spiders") -> list[type[SettingsGroup]]:
    """Import every module of ``package`` (its tests and fixtures left out) and return all its groups: the
    project's every setting, for the README (``python -m marketplace_spiders.config``) and the tests."""
    import importlib
    import pkgutil

    root = importlib.import_module(package)
    for module in pkgutil.walk_packages(root.__path__, package + "."):
        if not {".tests", ".fixtures"} & {"." + part for part in module.name.split(".")}:
            importlib.import_module(module.name)
    return groups(package)


def setting_names(of: Iterable[type[SettingsGroup]] | None = None) -> set[str]:
    """Every setting name (and alias) of ``of`` (default: every registered group)."""
    return {name for group in (groups() if of is None else of) for name in group.setting_names()}


def project_settings(of: Iterable[type[SettingsGroup]], environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Each setting of ``of`` with the value it has without ``-s`` (environment, else default), for a Scrapy
    settings module (``globals().update(project_settings(CORE_GROUPS))``): ``scrapy settings --get NAME``
    then shows what a crawl uses, and ``-s NAME=value`` still wins. Unset optional settings are left out."""
    values: dict[str, Any] = {}
    for group in of:
        values.update({k: v for k, v in group.from_settings(None, environ).as_settings().items() if v is not None})
    return values


def describe(of: Iterable[type[SettingsGroup]] | None = None) -> str:
    """Markdown of every setting of ``of`` (default: every registered group), one table per group: the
    README's "Settings" section."""
    return "\n\n".join(group.describe() for group in (groups() if of is None else of)) + "\n"


if __name__ == "__main__":
    # the groups register with the imported module, not with this __main__ copy of it
    from marketplace_spiders import config as _config

    print(_config.describe(_config.load_groups()), end="")
