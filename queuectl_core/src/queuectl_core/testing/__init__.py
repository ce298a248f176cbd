"""Helpers for testing queuectl backends and plugins.

:class:`StorageContract` is the contract suite every storage backend runs and
:class:`JobFactory` builds valid jobs. :class:`QueuectlCli` runs the real ``queuectl``
command in an environment of its own, and :func:`wait_for` and :func:`pid_alive` watch
what runs in the background (:mod:`queuectl_core.testing.cli`). All but
:class:`JobFactory` load on first access, so importing this package (the pytest plugin
does, in every test run) stays cheap. The in-memory reference backend is an example
plugin: ``examples/queuectl-memory``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from queuectl_core.testing.factory import JobFactory

if TYPE_CHECKING:
    from queuectl_core.testing.cli import QueuectlCli, pid_alive, wait_for
    from queuectl_core.testing.contract import StorageContract

__all__ = ["JobFactory", "QueuectlCli", "StorageContract", "pid_alive", "wait_for"]


_LAZY = {
    "QueuectlCli": "queuectl_core.testing.cli",
    "StorageContract": "queuectl_core.testing.contract",
    "pid_alive": "queuectl_core.testing.cli",
    "wait_for": "queuectl_core.testing.cli",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(name)
    import importlib

    return getattr(importlib.import_module(module), name)
