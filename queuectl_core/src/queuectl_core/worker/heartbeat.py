"""A worker's heartbeat thread: lease renewal, registry heartbeat, lost-job sweep.

Every ``heartbeat_interval`` it extends the leases of the jobs the worker holds:
the one it runs and, with prefetch (:mod:`queuectl_core.worker.prefetch`), those waiting
to run or to be stored (and has the worker abort or drop a job whose lease is
gone: cancelled, or recovered by someone else), records in the registry that the
worker is alive (learning whether a stop was requested), recovers jobs whose
worker stopped renewing their lease, and settles the jobs waiting for others that a
process which died left unsettled (:func:`queuectl_core.dependencies.sweep`), cancels
the jobs past their expiry that no worker claimed (:func:`queuectl_core.expiry.sweep`)
and, every few seconds (:func:`queuectl_core.retention.interval`), purges the ended jobs older than
the retention settings (:func:`queuectl_core.retention.sweep`). In
between, when the running job turns out slow while the worker holds others, it has
the worker hand those back, and it fires the recurring schedules that come due
(:class:`~queuectl_core.schedules.firer.Firer`: about one cheap storage call a
second, and none on the claim path).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Protocol

from queuectl_core import dependencies, expiry, retention
from queuectl_core.events import QueueSource
from queuectl_core.schedules.firer import Firer
from queuectl_core.settings import Settings
from queuectl_core.storage import Claim, Storage
from queuectl_core.worker import recovery

log = logging.getLogger("queuectl.worker")

#: Why a job is aborted when its lease cannot be renewed.
LEASE_LOST = "cancelled or lease lost"


class HeartbeatOwner(Protocol):
    """What the heartbeat thread needs from its worker."""

    @property
    def settings(self) -> Settings: ...

    @property
    def hook_queue(self) -> QueueSource:
        """The ``queue`` of the events of the jobs the sweep recovers."""

    def leases(self) -> list[Claim]:
        """Every claim the worker holds: running, waiting to run, or to be stored."""

    def abort_job(self, claim: Claim, reason: str) -> None:
        """Stop ``claim``'s job early if it runs; never start it if it waits."""

    def request_stop(self, reason: str) -> None:
        """Stop gracefully: no new jobs; the running one finishes."""

    def on_beat(self) -> None:
        """Periodic checks of the worker's own (settings changes, a vanished parent)."""

    def hand_back_at(self) -> float | None:
        """When (``time.monotonic()``) to call :meth:`hand_back`, or ``None``."""

    def hand_back(self) -> None:
        """If the running job is slow: hand back what waits behind it."""


class Heartbeat:
    """The background thread; :meth:`start` it, :meth:`stop` it when the worker exits."""

    def __init__(
        self,
        storage: Storage,
        worker_id: str,
        owner: HeartbeatOwner,
        firer: Firer | None = None,
    ) -> None:
        self.storage = storage
        self.worker_id = worker_id
        self.owner = owner
        self.firer = firer  # fires the schedules that come due, if given
        self._stopped = threading.Event()
        self._wake = threading.Event()  # look at hand_back_at() again now
        self._failing = False
        self._retention_at = 0.0  # time.monotonic() of the next retention sweep
        self._thread = threading.Thread(
            target=self._run, name=f"heartbeat-{worker_id}", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        """The worker holds more than the running job now: look when to hand it back."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> bool:
        """Stop the thread; returns whether it ended within ``timeout``."""
        self._stopped.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        next_beat = time.monotonic() + self.owner.settings["heartbeat_interval"]
        next_fire = time.monotonic() if self.firer is not None else float("inf")
        while not self._stopped.is_set():
            self._wake.clear()
            now = time.monotonic()
            if now >= next_beat:
                self.beat()
                next_beat = time.monotonic() + self.owner.settings["heartbeat_interval"]
                continue
            hand_back_at = self.owner.hand_back_at()
            if hand_back_at is not None and hand_back_at <= now:
                self._hand_back()
                continue
            if now >= next_fire and self.firer is not None:
                next_fire = time.monotonic() + self.firer.tick()
                continue
            wake_at = min(next_beat, next_fire)
            if hand_back_at is not None:
                wake_at = min(wake_at, hand_back_at)
            self._wake.wait(wake_at - now)

    def _hand_back(self) -> None:
        try:
            self.owner.hand_back()
        except Exception:  # never end the thread; the worker's loop hands back anyway
            log.exception("handing back held jobs failed")

    def beat(self) -> None:
        """One round: renew, heartbeat, owner's checks, sweep. Storage errors are logged once."""
        try:
            now = time.time()
            self._renew(now)
            if self.storage.heartbeat(self.worker_id, now):
                self.owner.request_stop("stop requested")
            self.owner.on_beat()
            settings, hook_queue = self.owner.settings, self.owner.hook_queue
            recovery.sweep_expired(self.storage, now, settings, hook_queue)
            expiry.sweep(self.storage, now, settings, hook_queue)
            dependencies.sweep(self.storage, now, settings=settings, hook_queue=hook_queue)
            if time.monotonic() >= self._retention_at:  # after settling: see retention
                self._retention_at = time.monotonic() + retention.interval(settings)
                retention.sweep(self.storage, now, settings)
        except Exception as exc:  # the database may be briefly unavailable: try next time
            if not self._failing:
                log.warning("heartbeat failed: %s; retrying every heartbeat", exc)
                self._failing = True
            return
        if self._failing:
            log.info("heartbeat works again")
            self._failing = False

    def _renew(self, now: float) -> None:
        claims = self.owner.leases()
        if not claims:
            return
        lease_until = now + self.owner.settings["lease_timeout"]
        for claim in claims:
            if not self.storage.renew(claim.job.id, claim.token, lease_until):
                self.owner.abort_job(claim, LEASE_LOST)
