"""A worker's heartbeat thread: lease renewal, registry heartbeat, lost-job sweep.

Every ``heartbeat_interval`` it extends the lease of the job the worker runs (and
has the worker abort the job when the lease is gone: cancelled, or recovered by
someone else), records in the registry that the worker is alive (learning whether a
stop was requested), and recovers jobs whose worker stopped renewing their lease.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Protocol

from queuectl_core import recovery
from queuectl_core.settings import Settings
from queuectl_core.storage import Claim, Storage

log = logging.getLogger("queuectl.worker")

#: Why a job is aborted when its lease cannot be renewed.
LEASE_LOST = "cancelled or lease lost"


class HeartbeatOwner(Protocol):
    """What the heartbeat thread needs from its worker."""

    @property
    def settings(self) -> Settings: ...

    def current_claim(self) -> Claim | None:
        """The claim of the job running now, if any."""

    def abort_job(self, claim: Claim, reason: str) -> None:
        """Stop ``claim``'s job early, if it still runs."""

    def request_stop(self, reason: str) -> None:
        """Stop gracefully: no new jobs; the running one finishes."""

    def on_beat(self) -> None:
        """Periodic checks of the worker's own (settings changes, a vanished parent)."""


class Heartbeat:
    """The background thread; :meth:`start` it, :meth:`stop` it when the worker exits."""

    def __init__(self, storage: Storage, worker_id: str, owner: HeartbeatOwner) -> None:
        self.storage = storage
        self.worker_id = worker_id
        self.owner = owner
        self._stopped = threading.Event()
        self._failing = False
        self._thread = threading.Thread(
            target=self._run, name=f"heartbeat-{worker_id}", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> bool:
        """Stop the thread; returns whether it ended within ``timeout``."""
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        while not self._stopped.wait(self.owner.settings["heartbeat_interval"]):
            self.beat()

    def beat(self) -> None:
        """One round: renew, heartbeat, owner's checks, sweep. Storage errors are logged once."""
        try:
            now = time.time()
            self._renew(now)
            if self.storage.heartbeat(self.worker_id, now):
                self.owner.request_stop("stop requested")
            self.owner.on_beat()
            recovery.sweep_expired(self.storage, now, self.owner.settings)
        except Exception as exc:  # the database may be briefly unavailable: try next time
            if not self._failing:
                log.warning("heartbeat failed: %s; retrying every heartbeat", exc)
                self._failing = True
            return
        if self._failing:
            log.info("heartbeat works again")
            self._failing = False

    def _renew(self, now: float) -> None:
        claim = self.owner.current_claim()
        if claim is None:
            return
        lease_until = now + self.owner.settings["lease_timeout"]
        if not self.storage.renew(claim.job.id, claim.token, lease_until):
            self.owner.abort_job(claim, LEASE_LOST)
