"""The worker runtime: what runs in a worker process and what starts and stops one.

- :mod:`~queuectl_core.worker.loop`: one worker: claim, run, store the result, wait
  (``python -m queuectl_core.worker``);
- :mod:`~queuectl_core.worker.prefetch`: the jobs a worker holds beyond the running one;
- :mod:`~queuectl_core.worker.heartbeat`: lease renewal and the lost-job sweep, in a thread;
- :mod:`~queuectl_core.worker.stopping`: stop signals and aborting the running job;
- :mod:`~queuectl_core.worker.reporting`: the log line and event for each attempt's end;
- :mod:`~queuectl_core.worker.recovery`: finishing the jobs of workers that are gone;
- :mod:`~queuectl_core.worker.orphans`: the processes a job leaves behind;
- :mod:`~queuectl_core.worker.supervisor`: the parent that restarts crashed workers;
- :mod:`~queuectl_core.worker.launch` and :mod:`~queuectl_core.worker.shutdown`:
  ``worker start`` and ``worker stop``; :mod:`~queuectl_core.worker.pids`: processes by pid.

``from queuectl_core.worker import Worker`` works as it did when this was one module;
the loop is imported on first use, so importing a sibling module stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from queuectl_core.worker.loop import Worker, configure_logging, main

__all__ = ["Worker", "configure_logging", "main"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from queuectl_core.worker import loop

        return getattr(loop, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
