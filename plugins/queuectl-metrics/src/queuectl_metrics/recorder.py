"""Stats deltas buffered in the process and written to the backend in batches.

A lifecycle hook only updates a dict. A daemon thread writes what gathered with one
``Storage.add_stats`` call at most every ``flush_every`` seconds while there is
something to write; :meth:`StatsBuffer.flush` writes at once (a worker's clean
stop) and :meth:`StatsBuffer.close` at process exit. A process killed outright loses
at most its last ``flush_every`` seconds of deltas.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING

from queuectl_core.pluginkit.threads import start_daemon_thread

if TYPE_CHECKING:
    from queuectl_core.queue import Queue

log = logging.getLogger("queuectl.metrics")


class StatsBuffer:
    """Deltas added from any thread, written through the queue the hooks are handed.

    That queue (the hook's ``queue`` argument: the process's own, usable from any
    thread) comes with the first delta; the buffer opens no storage of its own.
    """

    def __init__(self, flush_every: float = 1.0) -> None:
        self.flush_every = flush_every
        self._reset()
        if hasattr(os, "register_at_fork"):  # a forked child must not write our deltas again
            os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self._lock = threading.Lock()  # guards _deltas, _queue and _thread
        self._flushing = threading.Lock()  # one write at a time
        self._deltas: dict[str, float] = {}
        self._queue: Queue | None = None
        self._thread: threading.Thread | None = None
        self._pending = threading.Event()
        self._closing = threading.Event()
        self._failing = False

    def add(self, deltas: Mapping[str, float], queue: Queue) -> None:
        """Add ``deltas`` to what the next flush writes through ``queue``."""
        with self._lock:
            self._queue = self._queue or queue
            for name, value in deltas.items():
                self._deltas[name] = self._deltas.get(name, 0.0) + value
            if self._thread is None:
                # blocks the stop signals, which belong to a worker's main thread
                self._thread = start_daemon_thread(self._run, "queuectl-metrics-flush")
        self._pending.set()

    def pending(self) -> dict[str, float]:
        """A copy of the deltas not written yet."""
        with self._lock:
            return dict(self._deltas)

    def flush(self) -> bool:
        """Write the buffered deltas now; ``False`` if the backend refused them (they
        stay buffered for the next flush)."""
        with self._flushing:
            with self._lock:
                batch, self._deltas = self._deltas, {}
                queue = self._queue
            if not batch or queue is None:
                return True
            try:
                queue.storage.add_stats(batch)
            except Exception as exc:
                self._keep(batch)
                if not self._failing:
                    log.warning("cannot write metrics, will retry: %s", exc)
                    self._failing = True
                return False
            if self._failing:
                log.info("metrics written again")
                self._failing = False
            return True

    def close(self) -> None:
        """Stop the flushing thread and write what is left (the queue stays open: the
        process closes it after its plugins' exit handlers)."""
        self._closing.set()
        self._pending.set()
        if not self.flush():
            log.warning("metrics lost at exit: %d values not written", len(self.pending()))

    def _run(self) -> None:
        while not self._closing.is_set():
            self._pending.wait()
            self._closing.wait(self.flush_every)  # gather up to flush_every seconds' worth
            self._pending.clear()
            self.flush()

    def _keep(self, batch: Mapping[str, float]) -> None:
        """Put an unwritten batch back; the thread tries again after ``flush_every``."""
        with self._lock:
            for name, value in batch.items():
                self._deltas[name] = self._deltas.get(name, 0.0) + value
        self._pending.set()
