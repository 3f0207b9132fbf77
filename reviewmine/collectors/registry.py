"""Which sources exist: the built-in collectors plus plug-ins registered under the ``reviewmine.sources`` entry-point
group. Modules are imported only when a source is asked for, and a broken plug-in costs a warning, not the CLI.

A third-party package adds a source with, in its pyproject.toml::

    [project.entry-points."reviewmine.sources"]
    mysite = "mypackage.mysite:MySiteCollector"
"""

from __future__ import annotations

import importlib
import os
import re
import warnings
from typing import TYPE_CHECKING

from ..errors import InputError
from .base import Collector

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

__all__ = ["BUILTIN_SOURCES", "ENTRY_POINT_GROUP", "available_sources", "base_url_env", "get_source", "make_collector"]

ENTRY_POINT_GROUP = "reviewmine.sources"
# Also declared under the entry-point group in pyproject.toml; read from here so a source checkout needs no reinstall.
BUILTIN_SOURCES = {
    "trustpilot": "reviewmine.collectors.trustpilot:TrustpilotCollector",
    "appstore": "reviewmine.collectors.appstore:AppStoreCollector",
    "steam": "reviewmine.collectors.steam:SteamCollector",
    "googleplay": "reviewmine.collectors.googleplay:GooglePlayCollector",
    "schemaorg": "reviewmine.collectors.schemaorg:SchemaOrgCollector",
}


def _import(target: str) -> object:
    module_name, _, attribute = target.partition(":")
    obj: object = importlib.import_module(module_name)
    for part in attribute.split(".") if attribute else []:
        obj = getattr(obj, part)
    return obj


def _checked(name: str, obj: object, origin: str) -> type[Collector]:
    if not (isinstance(obj, type) and issubclass(obj, Collector)):
        raise TypeError(f"{origin} is not a Collector subclass")
    if getattr(obj, "name", None) != name:
        raise TypeError(f"{origin} has name {getattr(obj, 'name', None)!r}, registered as {name!r}")
    return obj


def _plugins() -> dict[str, EntryPoint]:
    """Entry points of the group that are not the built-ins' own declarations."""
    from importlib.metadata import entry_points  # slow to import; only needed once plug-ins are asked for

    found: dict[str, EntryPoint] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if BUILTIN_SOURCES.get(ep.name) == ep.value.replace(" ", ""):
            continue
        if ep.name in BUILTIN_SOURCES:
            warnings.warn(
                f"source plug-in {ep.name!r} ({ep.value}) ignored: that name is a built-in source", stacklevel=3
            )
            continue
        found.setdefault(ep.name, ep)
    return found


def _load_plugin(ep: EntryPoint) -> type[Collector]:
    try:
        return _checked(ep.name, ep.load(), f"source plug-in {ep.name!r} ({ep.value})")
    except Exception as exc:  # a plug-in may fail in any way while importing
        raise RuntimeError(f"source plug-in {ep.name!r} ({ep.value}) cannot be loaded: {exc}") from exc


def available_sources() -> dict[str, type[Collector]]:
    """Every usable source by name: built-ins first, then plug-ins (a broken plug-in is skipped with a warning)."""
    sources = {name: _checked(name, _import(target), target) for name, target in BUILTIN_SOURCES.items()}
    for name, ep in sorted(_plugins().items()):
        try:
            sources[name] = _load_plugin(ep)
        except RuntimeError as exc:
            warnings.warn(str(exc), stacklevel=2)
    return sources


def get_source(name: str) -> type[Collector]:
    """The collector class of source ``name``; InputError naming the known sources when there is none."""
    key = name.strip().lower()
    if key in BUILTIN_SOURCES:
        return _checked(key, _import(BUILTIN_SOURCES[key]), BUILTIN_SOURCES[key])
    plugins = _plugins()
    if key in plugins:
        try:
            return _load_plugin(plugins[key])
        except RuntimeError as exc:
            raise InputError(str(exc), where="sources") from None
    known = ", ".join(sorted([*BUILTIN_SOURCES, *plugins]))
    raise InputError(f"unknown source {name!r}; known sources: {known}", where="sources")


def base_url_env(source: str) -> str:
    """The environment variable that overrides a source's base URL, e.g. REVIEWMINE_TRUSTPILOT_BASE_URL."""
    return f"REVIEWMINE_{re.sub(r'[^A-Z0-9]', '_', source.upper())}_BASE_URL"


def make_collector(
    source: str,
    locator: str,
    brand: str,
    base_url: str | None = None,
    delay: float | None = None,
    *,
    base_url_where: str = "base_url",
) -> Collector:
    """The collector of ``locator`` at ``source``, built the same way for the CLI and for scheduled jobs.

    The base URL is ``base_url``, else the source's environment variable (``base_url_env``), else the site's;
    a given one must be an http(s) URL (InputError ``where`` ``base_url_where`` or the variable's name).
    ``delay`` (seconds between requests to one host) replaces the source's own pace for this collector only.
    """
    from ..http.urls import validate_url  # httpx: loaded when a collector is built, not to list sources

    collector_class = get_source(source)
    env_name = base_url_env(collector_class.name)
    base = base_url or os.environ.get(env_name) or None
    if base:
        validate_url(base, where=base_url_where if base_url else env_name)
    if delay is None:  # not passed at all: a plug-in's own __init__ may predate the keyword
        return collector_class(locator, brand=brand, base_url=base)
    if not 0 <= delay < float("inf"):
        raise InputError(f"the delay must be a non-negative number of seconds, not {delay}", where="delay")
    return collector_class(locator, brand=brand, base_url=base, min_delay=delay)
