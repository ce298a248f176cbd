"""The role of keeping track of workers and waking idle ones: :class:`WorkerRegistry`,
and the :class:`Waiter` an idle worker sleeps on."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Sequence

from queuectl_core.job import WorkerInfo


class Waiter:
    """Lets an idle worker sleep until work may have arrived.

    The default waits out the timeout in short naps; backends override it with a
    real notification channel. ``wait`` may return early for any reason.
    """

    nap: float = 0.05

    def wait(self, timeout: float) -> None:
        """Block for at most ``timeout`` seconds, or until notified."""
        time.sleep(max(0.0, min(timeout, self.nap)))

    def close(self) -> None:
        """Release whatever the waiter holds."""


class WorkerRegistry(ABC):
    """Which workers run, when each last showed it was alive, which were asked to
    stop, and the channel that wakes idle ones: what ``queuectl worker list`` and
    ``worker stop`` read and write, and what workers share besides jobs.

    A backend must make an entry written by one process visible to every other. A
    waiter must return soon after work arrives (an enqueue, a retry becoming ready,
    a dead job retried) from any process; the default polls in short naps.
    Checked by :class:`~queuectl_core.testing.contract.registry.RegistryContract`.
    """

    @abstractmethod
    def register_worker(self, worker: WorkerInfo) -> None:
        """Add or replace a worker's registry entry."""

    @abstractmethod
    def heartbeat(self, worker_id: str, now: float) -> bool:
        """Record that the worker is alive; returns whether a stop was requested.

        An unknown (already removed) worker is registered anew as far as the
        backend can; it returns ``True`` only when a stop was requested.
        """

    @abstractmethod
    def unregister_worker(self, worker_id: str) -> None:
        """Remove a worker's entry (no error if absent)."""

    @abstractmethod
    def workers(self) -> list[WorkerInfo]:
        """Every registered worker, oldest first."""

    @abstractmethod
    def request_stop(self, worker_ids: Sequence[str] | None = None) -> int:
        """Ask workers (``None``: all) to stop; returns how many were asked."""

    def waiter(self, worker_id: str) -> Waiter:
        """A :class:`Waiter` through which an idle worker sleeps until notified."""
        return Waiter()
