"""The plugin manager: built-in plugins, entry-point discovery and registries.

Plugins load lazily, once, on the first call of :func:`get_plugin_manager`.
``QUEUECTL_PLUGINS`` (comma-separated names) loads only those entry-point plugins;
``QUEUECTL_DISABLE_PLUGINS`` skips the named ones. Built-ins always load.
"""

from __future__ import annotations

import atexit
import importlib
import logging
import os
import sys
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any, NamedTuple

import pluggy

from queuectl_core import hookspecs
from queuectl_core.dispatch import calls

if TYPE_CHECKING:
    from queuectl_core.entry_points import EntryPoint
    from queuectl_core.executors.base import Executor
    from queuectl_core.setting import Setting
    from queuectl_core.storage import BackendSpec

ENTRY_POINT_GROUP = "queuectl"

#: The implementation marker, defined beside ``hookspec``; still importable from here.
hookimpl = hookspecs.hookimpl
log = logging.getLogger(__name__)
_entry_points: dict[str, EntryPoint] = {}

#: Built-in plugins, registered through the same manager as external ones.
DEFAULT_PLUGINS = (
    "queuectl_core.builtins.executors",
    "queuectl_core.builtins.handlers",
    "queuectl_core.builtins.settings",
)


def _close_hook_queues() -> None:
    """Close the queues lifecycle hooks were handed, if any was opened.

    Registered with :mod:`atexit` as this module loads, before any plugin can load
    and register exit handlers of its own: those run first (last registered, first
    run), so a plugin may still write through its queue at exit. Looked up, not
    imported: the queue module imports this one.
    """
    queue_module = sys.modules.get("queuectl_core.queue")
    if queue_module is not None:
        queue_module.close_shared_queues()


atexit.register(_close_hook_queues)


def _names(variable: str) -> set[str] | None:
    raw = os.environ.get(variable)
    if raw is None:
        return None
    return {name.strip() for name in raw.split(",") if name.strip()}


@cache
def get_plugin_manager() -> pluggy.PluginManager:
    """The process-wide plugin manager, with every plugin loaded."""
    pm = pluggy.PluginManager("queuectl")
    pm.add_hookspecs(hookspecs)
    for module_name in DEFAULT_PLUGINS:
        pm.register(importlib.import_module(module_name), name=module_name)
    _load_entry_points(pm)
    pm.check_pending()
    return pm


def _load_entry_points(pm: pluggy.PluginManager) -> None:
    from queuectl_core.entry_points import entry_points

    allow = _names("QUEUECTL_PLUGINS")
    block = _names("QUEUECTL_DISABLE_PLUGINS") or set()
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in block or (allow is not None and ep.name not in allow):
            continue
        if pm.get_plugin(ep.name) is not None or pm.is_blocked(ep.name):
            continue
        try:
            plugin = ep.load()
            pm.register(plugin, name=ep.name)
        except Exception as exc:  # a broken plugin must not break the CLI
            log.warning("plugin %s could not be loaded: %s", ep.name, exc)
            continue
        _entry_points[ep.name] = ep


class PluginInfo(NamedTuple):
    """What ``queuectl plugins`` shows about one plugin (a named tuple: cheaper to
    create at import than a dataclass)."""

    name: str
    version: str | None
    distribution: str | None
    hooks: tuple[str, ...]
    builtin: bool


def plugin_infos() -> list[PluginInfo]:
    """Every registered plugin with its distribution and the hooks it implements."""
    pm = get_plugin_manager()
    infos = []
    for name, plugin in pm.list_name_plugin():
        if plugin is None:
            continue
        ep = _entry_points.get(name)
        distribution, version = ep.distribution() if ep else (None, None)
        hooks = tuple(sorted(caller.name for caller in pm.get_hookcallers(plugin) or ()))
        infos.append(
            PluginInfo(
                name=name,
                version=version,
                distribution=distribution,
                hooks=hooks,
                builtin=name in DEFAULT_PLUGINS,
            )
        )
    return sorted(infos, key=lambda info: (not info.builtin, info.name))


def _collect(hook_name: str) -> list[tuple[Any, ...]]:
    """Call a ``register`` hook and gather what the plugins registered.

    A plugin that raises is logged and skipped: nothing it registered is kept.
    """
    collected: list[tuple[Any, ...]] = []
    mine: list[tuple[Any, ...]] = []
    hook = getattr(get_plugin_manager().hook, hook_name)
    for ok in calls(hook, {"register": lambda *args: mine.append(args)}):
        if ok:
            collected.extend(mine)
        mine.clear()
    return collected


@cache
def backends() -> dict[str, BackendSpec]:
    """Installed storage backends by name."""
    return {spec.name: spec for (spec,) in _collect("queuectl_register_storage")}


@cache
def executors() -> dict[str, Executor]:
    """Registered executors by name."""
    return {name: executor for name, executor in _collect("queuectl_register_executors")}


@cache
def handlers() -> dict[str, Callable[..., Any]]:
    """Registered Python handlers by name."""
    return {name: func for name, func in _collect("queuectl_register_handlers")}


@cache
def settings() -> dict[str, Setting]:
    """Registered runtime settings by name."""
    return {setting.name: setting for (setting,) in _collect("queuectl_register_settings")}


def reset() -> None:
    """Forget the loaded plugins and registries (for tests)."""
    for cached in (get_plugin_manager, backends, executors, handlers, settings):
        cached.cache_clear()
