"""queuectl: a background job queue you drive from the command line."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Job", "NonRetryable", "Queue", "State", "__version__", "hookimpl"]

if TYPE_CHECKING:
    from queuectl_core.errors import NonRetryable
    from queuectl_core.hookspecs import hookimpl
    from queuectl_core.job import Job, State
    from queuectl_core.queue import Queue

_LAZY = {
    "Job": "queuectl_core.job",
    "NonRetryable": "queuectl_core.errors",
    "State": "queuectl_core.job",
    "Queue": "queuectl_core.queue",
    "hookimpl": "queuectl_core.hookspecs",
}


def _keep_old_paths() -> None:
    from queuectl_core import moved

    moved.install()


_keep_old_paths()


def __getattr__(name: str) -> Any:  # imports stay lazy so the CLI starts fast
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(name)
    import importlib

    return getattr(importlib.import_module(module), name)
