"""The ``metrics`` plugin: counts lifecycle events and adds the ``queuectl metrics`` command.

Each event adds to the process's :class:`~queuectl_metrics.recorder.StatsBuffer`,
written within a second, when a worker stops cleanly and at exit, through the
``queue`` the hooks are handed (no storage connection of the plugin's own). The job
counts and workers are read from the backend when the metrics are asked for.

Kept import-light: every ``queuectl`` command loads the plugin, so the buffer and
the metric catalog load with the first event, which most commands never send.
"""

from __future__ import annotations

import atexit
import time
from typing import TYPE_CHECKING

from queuectl_core.hookspecs import hookimpl
from queuectl_core.pluginkit.lazy import Lazy

if TYPE_CHECKING:
    import click

    from queuectl_core.job import Attempt, Job
    from queuectl_core.queue import Queue
    from queuectl_metrics.recorder import StatsBuffer


def _new_buffer() -> StatsBuffer:
    from queuectl_metrics.recorder import StatsBuffer

    return StatsBuffer()


BUFFER = Lazy(_new_buffer)  # made by the first event


def _close() -> None:
    if (buffer := BUFFER.made) is not None:
        buffer.close()


atexit.register(_close)


def _duration(job: Job, attempt: Attempt | None) -> dict[str, float]:
    from queuectl_metrics.catalog import DURATION, observed

    duration = attempt.duration if attempt is not None else None
    return {} if duration is None else observed(DURATION, job.queue, duration)


@hookimpl
def queuectl_register_commands(cli: click.Group) -> None:
    from queuectl_metrics.command import metrics

    cli.add_command(metrics)


@hookimpl
def queuectl_job_enqueued(job: Job, queue: Queue) -> None:
    from queuectl_metrics.catalog import ENQUEUED, counted

    BUFFER.get().add(counted(ENQUEUED, job.queue), queue)


@hookimpl
def queuectl_job_started(job: Job, queue: Queue) -> None:
    from queuectl_metrics.catalog import QUEUE_WAIT, observed

    # next_run_at is when the job became due; the hook runs as the attempt starts, which
    # may be later than the claim (updated_at) when a worker claims several jobs at once
    BUFFER.get().add(observed(QUEUE_WAIT, job.queue, time.time() - job.next_run_at), queue)


@hookimpl
def queuectl_job_succeeded(job: Job, attempt: Attempt, queue: Queue) -> None:
    from queuectl_metrics.catalog import SUCCEEDED, counted

    BUFFER.get().add({**counted(SUCCEEDED, job.queue), **_duration(job, attempt)}, queue)


@hookimpl
def queuectl_job_failed(job: Job, attempt: Attempt, queue: Queue) -> None:
    from queuectl_metrics.catalog import FAILED, RETRIED, counted

    failed = {**counted(FAILED, job.queue), **counted(RETRIED, job.queue)}
    BUFFER.get().add({**failed, **_duration(job, attempt)}, queue)


@hookimpl
def queuectl_job_dead(job: Job, attempt: Attempt | None, queue: Queue) -> None:
    from queuectl_metrics.catalog import DEAD, FAILED, counted

    failed = counted(FAILED, job.queue) if attempt is not None else {}
    BUFFER.get().add({**counted(DEAD, job.queue), **failed, **_duration(job, attempt)}, queue)


@hookimpl
def queuectl_job_cancelled(job: Job, queue: Queue) -> None:
    from queuectl_metrics.catalog import CANCELLED, counted

    BUFFER.get().add(counted(CANCELLED, job.queue), queue)


@hookimpl
def queuectl_worker_stopped() -> None:
    if (buffer := BUFFER.made) is not None:
        buffer.flush()
