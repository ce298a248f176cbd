"""The ``metrics`` plugin: counts lifecycle events and adds the ``queuectl metrics`` command.

Each event adds to the process's :class:`~queuectl_metrics.recorder.StatsBuffer`,
written to the backend within a second, when a worker stops cleanly and at exit.
The job counts and workers are read from the backend when the metrics are asked for.
"""

from __future__ import annotations

import atexit
import time
from typing import TYPE_CHECKING

from queuectl_core.job import Attempt, Job
from queuectl_core.plugins import hookimpl
from queuectl_metrics.catalog import (
    CANCELLED,
    DEAD,
    DURATION,
    ENQUEUED,
    FAILED,
    QUEUE_WAIT,
    RETRIED,
    SUCCEEDED,
    counted,
    observed,
)
from queuectl_metrics.recorder import StatsBuffer

if TYPE_CHECKING:
    import click

BUFFER = StatsBuffer()
atexit.register(BUFFER.close)


def _duration(job: Job, attempt: Attempt | None) -> dict[str, float]:
    duration = attempt.duration if attempt is not None else None
    return {} if duration is None else observed(DURATION, job.queue, duration)


@hookimpl
def queuectl_register_commands(cli: click.Group) -> None:
    from queuectl_metrics.command import metrics

    cli.add_command(metrics)


@hookimpl
def queuectl_job_enqueued(job: Job) -> None:
    BUFFER.add(counted(ENQUEUED, job.queue))


@hookimpl
def queuectl_job_started(job: Job) -> None:
    # next_run_at is when the job became due; the hook runs as the attempt starts, which
    # may be later than the claim (updated_at) when a worker claims several jobs at once
    BUFFER.add(observed(QUEUE_WAIT, job.queue, time.time() - job.next_run_at))


@hookimpl
def queuectl_job_succeeded(job: Job, attempt: Attempt) -> None:
    BUFFER.add({**counted(SUCCEEDED, job.queue), **_duration(job, attempt)})


@hookimpl
def queuectl_job_failed(job: Job, attempt: Attempt) -> None:
    failed = {**counted(FAILED, job.queue), **counted(RETRIED, job.queue)}
    BUFFER.add({**failed, **_duration(job, attempt)})


@hookimpl
def queuectl_job_dead(job: Job, attempt: Attempt | None) -> None:
    failed = counted(FAILED, job.queue) if attempt is not None else {}
    BUFFER.add({**counted(DEAD, job.queue), **failed, **_duration(job, attempt)})


@hookimpl
def queuectl_job_cancelled(job: Job) -> None:
    BUFFER.add(counted(CANCELLED, job.queue))


@hookimpl
def queuectl_worker_stopped() -> None:
    BUFFER.flush()
