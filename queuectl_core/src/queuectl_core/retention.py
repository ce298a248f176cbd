"""Retention: workers purge ended jobs once they are older than the settings say, so
a queue that runs forever stays bounded.

``keep_completed_for`` (default 7 days), ``keep_dead_for`` (default off: the dead
letter queue is for people to look at) and ``keep_cancelled_for`` (default 7 days)
keep a job that long after it ended (its ``updated_at``); ``off`` keeps it forever.
Each worker's heartbeat calls :func:`sweep` at most every :func:`interval`; it
deletes through :meth:`~queuectl_core.storage.Admin.purge` with a ``limit``, ``BATCH``
jobs per call (one short transaction or script each), longest ended first, and goes
on while calls come back full, at most ``ROUNDS`` of them.

Dependencies: the heartbeat settles the jobs that wait for others
(:func:`queuectl_core.dependencies.sweep`) before it purges, as ``queuectl purge``
does, and a purged job counts as ended well for those that still wait for it, so
purging a completed job others wait for changes nothing for them.
"""

from __future__ import annotations

from queuectl_core.job import State
from queuectl_core.settings import Settings
from queuectl_core.storage import Storage

#: The setting that says how long jobs of each ended state are kept.
SETTINGS = {
    State.COMPLETED: "keep_completed_for",
    State.DEAD: "keep_dead_for",
    State.CANCELLED: "keep_cancelled_for",
}
#: Jobs one purge call deletes at most; a sweep makes at most ``ROUNDS`` calls per state.
BATCH = 500
ROUNDS = 20
#: Seconds between two sweeps of one worker, or the shortest retention if shorter,
#: but not under ``MIN_INTERVAL``.
INTERVAL = 5.0
MIN_INTERVAL = 1.0


def interval(settings: Settings) -> float:
    """Seconds until a worker's next sweep."""
    kept = [keep for name in SETTINGS.values() if (keep := settings[name]) is not None]
    return float(max(MIN_INTERVAL, min([INTERVAL, *kept])))


def sweep(storage: Storage, now: float, settings: Settings) -> int:
    """Purge the ended jobs kept longer than their setting; returns how many."""
    purged = 0
    for state, name in SETTINGS.items():
        keep = settings[name]
        if keep is None:
            continue
        for _ in range(ROUNDS):
            deleted = storage.purge([state], updated_before=now - keep, limit=BATCH)
            purged += deleted
            if deleted < BATCH:
                break
    return purged
