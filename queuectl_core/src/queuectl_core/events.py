"""Lifecycle events, one typed function per hook, dispatched so no plugin can break them.

A call site names the event (``events.job_succeeded(job, attempt)``) and mypy
checks its arguments. Each function calls every implementation of its hook
through :mod:`queuectl_core.dispatch`: a failure is logged with the plugin's name
and never reaches the caller. Where building the arguments costs something,
check :func:`has_listeners` first, so a process without listeners pays nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Literal

from queuectl_core.dispatch import call_each, describe_failure
from queuectl_core.plugins import get_plugin_manager

if TYPE_CHECKING:
    from queuectl_core.job import Attempt, Job, WorkerInfo

__all__ = [
    "Event",
    "describe_failure",
    "has_listeners",
    "job_cancelled",
    "job_dead",
    "job_enqueued",
    "job_failed",
    "job_started",
    "job_succeeded",
    "worker_started",
    "worker_stopped",
]

Event = Literal[
    "job_enqueued",
    "job_started",
    "job_succeeded",
    "job_failed",
    "job_dead",
    "job_cancelled",
    "worker_started",
    "worker_stopped",
]


def has_listeners(event: Event) -> bool:
    """Whether any plugin implements ``queuectl_<event>`` (skip building arguments if not)."""
    return bool(getattr(get_plugin_manager().hook, f"queuectl_{event}").get_hookimpls())


def job_enqueued(job: Job) -> None:
    """``queuectl_job_enqueued``: ``job`` was stored."""
    call_each("queuectl_job_enqueued", {"job": job})


def job_started(job: Job, attempt: int, worker: WorkerInfo) -> None:
    """``queuectl_job_started``: ``worker`` is about to run attempt ``attempt`` of ``job``."""
    call_each("queuectl_job_started", {"job": job, "attempt": attempt, "worker": worker})


def job_succeeded(job: Job, attempt: Attempt) -> None:
    """``queuectl_job_succeeded``: ``attempt`` succeeded and ``job`` is completed."""
    call_each("queuectl_job_succeeded", {"job": job, "attempt": attempt})


def job_failed(job: Job, attempt: Attempt, retry_at: datetime) -> None:
    """``queuectl_job_failed``: ``attempt`` failed; the job runs again at ``retry_at``."""
    call_each("queuectl_job_failed", {"job": job, "attempt": attempt, "retry_at": retry_at})


def job_dead(job: Job, attempt: Attempt | None) -> None:
    """``queuectl_job_dead``: ``job`` moved to the dead letter queue."""
    call_each("queuectl_job_dead", {"job": job, "attempt": attempt})


def job_cancelled(job: Job) -> None:
    """``queuectl_job_cancelled``: a person cancelled ``job``."""
    call_each("queuectl_job_cancelled", {"job": job})


def worker_started(worker: WorkerInfo) -> None:
    """``queuectl_worker_started``: ``worker`` registered and is about to claim jobs."""
    call_each("queuectl_worker_started", {"worker": worker})


def worker_stopped(worker: WorkerInfo) -> None:
    """``queuectl_worker_stopped``: ``worker`` is exiting after a clean stop."""
    call_each("queuectl_worker_stopped", {"worker": worker})
