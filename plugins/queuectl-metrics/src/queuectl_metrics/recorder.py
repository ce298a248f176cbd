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
from collections.abc import Callable, Mapping

from queuectl_core.config import Location
from queuectl_core.pluginkit.live_settings import current_location
from queuectl_core.pluginkit.threads import start_daemon_thread
from queuectl_core.storage import Storage

log = logging.getLogger("queuectl.metrics")


class StatsBuffer:
    """Deltas added from any thread, written to the backend of the process.

    The backend is the one ``locate()`` names when the first delta arrives, read on
    the hook's thread (where a ``queuectl`` command's ``--db`` is known); the
    writes go through a storage the buffer opens itself and never shares.
    """

    def __init__(
        self, flush_every: float = 1.0, locate: Callable[[], Location] = current_location
    ) -> None:
        self.flush_every = flush_every
        self._locate = locate
        self._reset()
        if hasattr(os, "register_at_fork"):  # a forked child must not write our deltas again
            os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self._lock = threading.Lock()  # guards _deltas, _location and _thread
        self._flushing = threading.Lock()  # one write at a time; guards _storage
        self._deltas: dict[str, float] = {}
        self._location: Location | None = None
        self._storage: Storage | None = None
        self._thread: threading.Thread | None = None
        self._pending = threading.Event()
        self._closing = threading.Event()
        self._failing = False

    def add(self, deltas: Mapping[str, float]) -> None:
        """Add ``deltas`` to what the next flush writes."""
        location = self._location or self._locate()
        with self._lock:
            self._location = self._location or location
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
                location = self._location
            if not batch or location is None:
                return True
            try:
                if self._storage is None:
                    self._storage = location.open()
                self._storage.add_stats(batch)
            except Exception as exc:
                self._keep(batch)
                self._close_storage()
                if not self._failing:
                    log.warning("cannot write metrics, will retry: %s", exc)
                    self._failing = True
                return False
            if self._failing:
                log.info("metrics written again")
                self._failing = False
            return True

    def close(self) -> None:
        """Stop the flushing thread, write what is left and close the storage."""
        self._closing.set()
        self._pending.set()
        if not self.flush():
            log.warning("metrics lost at exit: %d values not written", len(self.pending()))
        with self._flushing:
            self._close_storage()

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

    def _close_storage(self) -> None:
        storage, self._storage = self._storage, None
        if storage is not None:
            try:
                storage.close()
            except Exception:
                log.debug("cannot close the metrics storage", exc_info=True)
