"""The queue at a glance: what ``queuectl status`` and dashboards show.

Built only from cheap calls (per-state counts, the worker registry, settings), so
it stays fast with millions of jobs.
"""

from __future__ import annotations

import time
from typing import Any

from queuectl_core.job import State, WorkerInfo
from queuectl_core.queue import Queue
from queuectl_core.serialize import worker_view


def is_live(worker: WorkerInfo, now: float, lease_timeout: float) -> bool:
    """Whether the worker sent a heartbeat within the lease timeout."""
    return now - worker.heartbeat_at <= lease_timeout


def success_rate(completed: int, dead: int) -> float | None:
    """The share of finished jobs that completed rather than died; None before any."""
    finished = completed + dead
    return None if finished == 0 else completed / finished


def overview(queue: Queue) -> dict[str, Any]:
    """Counts per state and queue, the success rate, workers and where the data lives.

    JSON-ready: states as strings, worker times in ISO 8601.
    """
    per_queue: dict[str, dict[str, int]] = {}
    for (queue_name, state), count in queue.counts().items():
        counts = per_queue.setdefault(queue_name, {s.value: 0 for s in State})
        counts[state.value] += count
    totals = {s.value: sum(counts[s.value] for counts in per_queue.values()) for s in State}
    now = time.time()
    lease_timeout = float(queue.settings()["lease_timeout"])
    workers = queue.workers()
    live = [is_live(worker, now, lease_timeout) for worker in workers]
    return {
        "backend": queue.location.backend if queue.location else None,
        "location": queue.storage.describe(),
        "warnings": queue.storage.warnings(),
        "states": totals,
        "total": sum(totals.values()),
        "success_rate": success_rate(totals["completed"], totals["dead"]),
        "queues": dict(sorted(per_queue.items())),
        "live_workers": sum(live),
        "workers": [
            {**worker_view(worker), "live": alive}
            for worker, alive in zip(workers, live, strict=True)
        ],
    }
