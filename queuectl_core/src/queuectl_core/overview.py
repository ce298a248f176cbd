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
from queuectl_core.units import iso


def is_live(worker: WorkerInfo, now: float, lease_timeout: float) -> bool:
    """Whether the worker sent a heartbeat within the lease timeout."""
    return now - worker.heartbeat_at <= lease_timeout


def success_rate(completed: int, dead: int) -> float | None:
    """The share of finished jobs that completed rather than died; None before any."""
    finished = completed + dead
    return None if finished == 0 else completed / finished


def running_jobs(queue: Queue) -> dict[str, list[str]]:
    """The ids of the processing jobs, by the worker that runs them."""
    processing = sum(n for (_, state), n in queue.counts().items() if state is State.PROCESSING)
    running: dict[str, list[str]] = {}
    if processing:
        for job in queue.list_jobs(states=[State.PROCESSING], limit=processing):
            if job.worker_id:
                running.setdefault(job.worker_id, []).append(job.id)
    return running


def worker_views(queue: Queue, workers: list[WorkerInfo]) -> list[dict[str, Any]]:
    """The workers in their JSON shape: whether each is live, the jobs it runs."""
    if not workers:
        return []
    now = time.time()
    lease_timeout = float(queue.settings()["lease_timeout"])
    running = running_jobs(queue)
    return [
        worker_view(
            worker,
            live=is_live(worker, now, lease_timeout),
            current_jobs=running.get(worker.id, ()),
        )
        for worker in workers
    ]


def overview(queue: Queue) -> dict[str, Any]:
    """Counts per state and queue, the paused queues, the success rate, workers and
    where the data lives.

    JSON-ready: states as strings, worker times in ISO 8601.
    """
    per_queue: dict[str, dict[str, int]] = {}
    for (queue_name, state), count in queue.counts().items():
        counts = per_queue.setdefault(queue_name, {s.value: 0 for s in State})
        counts[state.value] += count
    totals = {s.value: sum(counts[s.value] for counts in per_queue.values()) for s in State}
    workers = worker_views(queue, queue.workers())
    paused = [
        {"name": name, "reason": control.reason, "paused_at": iso(control.paused_at)}
        for name, control in queue.storage.queue_controls().items()
        if control.paused
    ]
    return {
        "backend": queue.location.backend if queue.location else None,
        "location": queue.storage.describe(),
        "warnings": queue.storage.warnings(),
        "states": totals,
        "total": sum(totals.values()),
        "success_rate": success_rate(totals["completed"], totals["dead"]),
        "queues": dict(sorted(per_queue.items())),
        "paused_queues": paused,
        "live_workers": sum(worker["live"] for worker in workers),
        "workers": workers,
    }
