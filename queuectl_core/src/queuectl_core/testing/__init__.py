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

import itertools
import time
from typing import TYPE_CHECKING, Any

from queuectl_core.job import Job

if TYPE_CHECKING:
    from queuectl_core.testing.cli import QueuectlCli, pid_alive, wait_for
    from queuectl_core.testing.contract import StorageContract

__all__ = ["JobFactory", "QueuectlCli", "StorageContract", "pid_alive", "wait_for"]


class JobFactory:
    """Builds valid pending jobs: ``make()``, ``make("id", priority=5, queue="mail")``.

    Ids default to ``job-1``, ``job-2``, ...; ``created_at``, ``updated_at`` and
    ``next_run_at`` default to ``now`` (the time the factory was made, unless given).
    """

    def __init__(self, now: float | None = None) -> None:
        self.now = time.time() if now is None else now
        self._numbers = itertools.count(1)

    def __call__(self, job_id: str | None = None, **fields: Any) -> Job:
        job_id = job_id or f"job-{next(self._numbers)}"
        defaults: dict[str, Any] = {
            "command": f"echo {job_id}",
            "created_at": self.now,
            "updated_at": self.now,
            "next_run_at": self.now,
        }
        return Job(id=job_id, **{**defaults, **fields})


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
