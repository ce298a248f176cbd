"""What a plugin's own code imports, beside the hook specifications.

- :mod:`~queuectl_core.pluginkit.notifier`: ``Notifier``, the base class of plugins
  that tell the outside world about jobs (webhooks, a command, mail), and the setting
  that chooses their events;
- :mod:`~queuectl_core.pluginkit.lazy`: one object per process, made by the first event;
- :mod:`~queuectl_core.pluginkit.threads`: threads that leave a worker's stop signals alone;
- :mod:`~queuectl_core.pluginkit.live_settings`: the runtime settings, from outside a hook;
- :mod:`~queuectl_core.pluginkit.serving`: a command that serves HTTP until stopped.

The common names are importable from here (``from queuectl_core.pluginkit import
hookimpl, Lazy``); each loads its module on first use, so a plugin imported by every
``queuectl`` command costs nothing until it does something.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from queuectl_core.hookspecs import hookimpl
    from queuectl_core.pluginkit.lazy import Lazy
    from queuectl_core.pluginkit.live_settings import LiveSettings
    from queuectl_core.pluginkit.notifier import JobEvent, Notifier, chosen, events_setting
    from queuectl_core.pluginkit.threads import start_daemon_thread

_HOMES = {
    "hookimpl": "queuectl_core.hookspecs",
    "Lazy": "queuectl_core.pluginkit.lazy",
    "LiveSettings": "queuectl_core.pluginkit.live_settings",
    "JobEvent": "queuectl_core.pluginkit.notifier",
    "Notifier": "queuectl_core.pluginkit.notifier",
    "chosen": "queuectl_core.pluginkit.notifier",
    "events_setting": "queuectl_core.pluginkit.notifier",
    "start_daemon_thread": "queuectl_core.pluginkit.threads",
}
__all__ = [
    "JobEvent",
    "Lazy",
    "LiveSettings",
    "Notifier",
    "chosen",
    "events_setting",
    "hookimpl",
    "start_daemon_thread",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
