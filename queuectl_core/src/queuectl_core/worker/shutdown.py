"""Stopping every registered worker from the command line (``worker stop``).

:func:`stop_workers` signals the workers of this host (through their supervisor),
leaves a stop request in the backend for workers on other hosts, and returns once
they have exited, forcing and then killing them after their grace periods.
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable

from queuectl_core import settings as settings_module
from queuectl_core.errors import WorkerError
from queuectl_core.events import QueueSource
from queuectl_core.host import hostname
from queuectl_core.job import WorkerInfo
from queuectl_core.settings import Settings
from queuectl_core.storage import Storage
from queuectl_core.worker import recovery
from queuectl_core.worker.pids import may_signal, pid_alive, runs_queuectl, send_signal
from queuectl_core.worker.supervisor import stop_signal

log = logging.getLogger("queuectl.supervisor")

POLL = 0.02  # seconds between registry checks while stopping
EXTRA_GRACE = 5.0  # after a forced stop: seconds beyond kill_grace before SIGKILL


def stop_workers(
    storage: Storage,
    timeout: float | None,
    force: bool,
    warn: Callable[[str], None] = log.warning,
    hook_queue: QueueSource | None = None,
) -> list[WorkerInfo]:
    """Stop every registered worker; return them once they have exited.

    Local workers (and their supervisors) get signals; remote ones see the stop
    request at their next heartbeat. After ``timeout`` seconds (``None``: never) the
    stop is forced; if workers on this host still run ``kill_grace`` plus a few
    seconds later, they are killed and their jobs recovered. Raises ``WorkerError``
    if some worker is still registered then.

    The store is used only where it works: when it cannot be written (a full disk),
    local workers are still stopped by signal, and ``warn`` gets one line saying
    what could not be stored. ``hook_queue`` is the ``queue`` of the events of the jobs
    recovered from gone workers (without one, a queue on ``storage``).
    """
    stopper = Shutdown(storage, hook_queue)
    try:
        return stopper.stop(timeout, force)
    finally:
        note = stopper.unstored_note()
        if note:
            warn(note)


class Shutdown:
    """One ``stop_workers`` call: the targets, the signals sent, the wait."""

    def __init__(self, storage: Storage, hook_queue: QueueSource | None = None) -> None:
        self.storage = storage
        self.hook_queue = hook_queue
        self.host = hostname()
        self.unstored: list[str] = []  # what could not be written, in order
        self.store_error: Exception | None = None  # the first write error
        self.settings = self._settings()
        self.targets = {worker.id: worker for worker in storage.workers()}
        self.pids: set[int] = set()  # local processes to see exit: workers, supervisors
        self.signal_pids: set[int] = set()  # whom to signal: a supervisor relays
        self.signals_sent = 0
        self.unrecorded: set[str] = set()  # gone workers whose clean-up could not be stored

    def stop(self, timeout: float | None, force: bool) -> list[WorkerInfo]:
        if not self.targets:
            return []
        if not self._store("the stop request", lambda: self.storage.request_stop(None)):
            self._give_up_on_remote()
        now = time.time()
        for worker in self.targets.values():
            self._target(worker, now)
        self._send(2 if force else 1)
        started = time.monotonic()
        force_at = None if force or timeout is None else started + timeout
        kill_at = started + self._grace() if force else None
        while self._running():
            now = time.monotonic()
            if force_at is not None and now >= force_at:
                log.info("workers still running after %gs: forcing them to stop", timeout)
                self._send(2)
                force_at, kill_at = None, now + self._grace()
            if kill_at is not None and now >= kill_at:
                self._kill()
                still = self._running()
                if still:
                    raise WorkerError(f"workers still running: {', '.join(still)}")
                break
            time.sleep(POLL)
        return list(self.targets.values())

    def unstored_note(self) -> str | None:
        """One line on what could not be stored, or ``None``."""
        if self.store_error is None:
            return None
        what = ", ".join(dict.fromkeys(self.unstored))
        return (
            f"could not store {what} ({self.store_error}); a later 'worker stop' cleans up "
            "the registry, and jobs the workers held are recovered when their leases expire"
        )

    def _settings(self) -> Settings:
        try:
            return settings_module.load(self.storage)
        except Exception as exc:  # the defaults are good enough to stop by
            log.debug("cannot read the settings: %s", exc)
            return Settings({})

    def _store(self, what: str, write: Callable[[], object]) -> bool:
        """``write()``; on a storage error, note ``what`` was not stored and go on."""
        try:
            write()
        except Exception as exc:
            self.store_error = self.store_error or exc
            self.unstored.append(what)
            return False
        return True

    def _give_up_on_remote(self) -> None:
        """Without a stored stop request, workers on other hosts cannot be reached."""
        remote = [worker_id for worker_id, w in self.targets.items() if not self._local(w)]
        for worker_id in remote:
            del self.targets[worker_id]
        if remote:
            self.unstored.append(f"so {len(remote)} worker(s) on other hosts were not stopped")

    def _recover(self, worker: WorkerInfo) -> None:
        """Recover a gone worker's jobs and remove its entry, if the store allows."""
        if worker.id in self.unrecorded:
            return
        if not self._store(
            "the removal of stopped workers from the registry",
            lambda: recovery.recover_worker(
                self.storage, worker.id, self.settings, self.hook_queue
            ),
        ):
            self.unrecorded.add(worker.id)

    def _grace(self) -> float:
        return float(self.settings["kill_grace"]) + EXTRA_GRACE

    def _local(self, worker: WorkerInfo) -> bool:
        return worker.host == self.host

    def _target(self, worker: WorkerInfo, now: float) -> None:
        """Choose what to signal for a worker; clean it up at once if it is gone."""
        if not self._local(worker):
            return  # it sees the stop request at its next heartbeat
        if self._gone(worker, now):
            self._recover(worker)
            return
        fresh = now - worker.heartbeat_at <= self.settings["lease_timeout"]
        if not may_signal(worker.pid, fresh):
            return  # e.g. a program embedding a worker: it sees the stop request
        self.pids.add(worker.pid)
        supervisor = worker.extra.get("supervisor_pid")
        if isinstance(supervisor, int) and may_signal(supervisor, fresh):
            self.pids.add(supervisor)
            self.signal_pids.add(supervisor)
        else:
            self.signal_pids.add(worker.pid)

    def _send(self, upto: int) -> None:
        """Send stop requests until ``upto`` have been sent to each target."""
        while self.signals_sent < upto:
            self.signals_sent += 1
            for pid in self.signal_pids:
                send_signal(pid, stop_signal(self.signals_sent))

    def _running(self) -> list[str]:
        """What still runs: targeted workers still registered, local processes alive.

        A registered worker that is gone (a local pid that died, a remote worker
        silent for two lease timeouts) has its jobs recovered and its entry removed;
        if the store cannot record that, it counts as stopped all the same.
        """
        now = time.time()
        running = []
        for worker in self._registered():
            if worker.id not in self.targets or worker.id in self.unrecorded:
                continue
            if self._gone(worker, now):
                self._recover(worker)
            else:
                running.append(worker.id)
        running += [f"pid {pid}" for pid in sorted(self.pids) if pid_alive(pid)]
        return running

    def _registered(self) -> list[WorkerInfo]:
        """The registry; if it cannot be read, the targets as they were."""
        try:
            return self.storage.workers()
        except Exception as exc:
            log.debug("cannot read the registry: %s", exc)
            return list(self.targets.values())

    def _gone(self, worker: WorkerInfo, now: float) -> bool:
        """Dead without unregistering: a local pid that is gone (or reused by another
        program after a long silence), a remote worker silent for two lease timeouts."""
        silent = now - worker.heartbeat_at > 2 * float(self.settings["lease_timeout"])
        if not self._local(worker):
            return silent
        return not pid_alive(worker.pid) or (silent and not runs_queuectl(worker.pid))

    def _kill(self) -> None:
        """SIGKILL what still runs on this host and recover the jobs it held."""
        for pid in self.pids:
            send_signal(pid, signal.SIGKILL)
        deadline = time.monotonic() + EXTRA_GRACE
        while any(pid_alive(pid) for pid in self.pids) and time.monotonic() < deadline:
            time.sleep(POLL)
        for worker in self.targets.values():
            if self._local(worker) and worker.pid in self.pids:
                log.warning("worker %s killed", worker.id)
                self._recover(worker)
