"""Each worker's share of firing schedules: :class:`Firer`, which its heartbeat thread
calls. Kept import-light: a worker loads the firing rules (cronsim among them) only
once a schedule comes due (see :mod:`queuectl_core.schedules.firing`)."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from queuectl_core.schedules.firing import Enqueuer

log = logging.getLogger("queuectl.schedules")

#: Longest a worker goes without looking whether a schedule is due (one added or
#: changed meanwhile is found within this).
LOOK_EVERY = 1.0
#: Shortest wait between two looks, should a schedule stay due.
MIN_WAIT = 0.005


class Firer:
    """A worker's share of firing: its heartbeat thread calls :meth:`tick` when asked to."""

    def __init__(self, queue: Enqueuer) -> None:
        self.queue = queue
        self._failing = False

    def tick(self) -> float:
        """Fire the schedules due now, if any; returns the seconds until the next call.
        Never raises: a storage error is logged once, and the next call tries again."""
        try:
            storage = self.queue.storage
            due_at = storage.next_schedule_at()
            if due_at is not None and due_at <= time.time():
                from queuectl_core.schedules.firing import fire_due

                fire_due(self.queue, time.time())
                due_at = storage.next_schedule_at()
        except Exception as exc:
            if not self._failing:
                log.warning("firing schedules failed: %s; retrying every %gs", exc, LOOK_EVERY)
                self._failing = True
            return LOOK_EVERY
        if self._failing:
            log.info("firing schedules works again")
            self._failing = False
        if due_at is None:
            return LOOK_EVERY
        return min(LOOK_EVERY, max(due_at - time.time(), MIN_WAIT))
