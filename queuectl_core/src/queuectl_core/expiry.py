"""Expiry (``expires_at``): a job that has not started by then is cancelled, with the
reason ``expired`` (rq's ``ttl``, Celery's ``expires``).

*Not started* means that no attempt of it counts yet: pending or waiting with
``attempts`` 0 (:data:`~queuectl_core.job.EXPIRABLE`). A job that failed and waits
for a retry has started, so its retries go on whatever its expiry; an attempt that
does not count (interrupted by a forced stop, or handed back unstarted) does not
make it started. A job retried from the dead letter queue starts over with
``attempts`` 0, so its expiry holds again.

Two places end an expired job, so it never runs and does not wait for a claim:

- the worker that claims it (:func:`claimed_expired`, an attribute compare on the
  claim path) cancels it instead of running it;
- every worker's heartbeat (:func:`sweep`) cancels those due, ``BATCH`` at a time,
  through the backend's :meth:`~queuectl_core.storage.Admin.expire`, kept cheap by an
  index by expiry.

Both cancel as ``queuectl cancel`` does: ``queuectl_job_cancelled`` hooks run, and an
``after`` job waiting for it is cancelled in turn (:mod:`queuectl_core.dependencies`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from queuectl_core import dependencies, events
from queuectl_core.errors import InvalidStateError, NoSuchJobError
from queuectl_core.events import QueueSource, SettingsSource
from queuectl_core.job import EXPIRABLE, Job
from queuectl_core.storage import EXPIRED, Claim, Storage

log = logging.getLogger("queuectl.worker")

#: Jobs one sweep call cancels at most; a sweep makes at most ``ROUNDS`` calls.
BATCH = 100
ROUNDS = 10


def expired(job: Job, now: float) -> bool:
    """Whether ``job``, as stored, has not started and is past its expiry."""
    return (
        job.expires_at is not None
        and job.expires_at <= now
        and job.attempts == 0
        and job.state in EXPIRABLE
    )


def claimed_expired(claim: Claim, now: float) -> bool:
    """Whether a job just claimed must not run: past its expiry before its first
    attempt (the claim made it attempt 1). Only attribute compares: the claim path."""
    job = claim.job
    return job.expires_at is not None and job.expires_at <= now and job.attempts == 1


def cancel_claimed(
    storage: Storage,
    claim: Claim,
    now: float,
    settings: SettingsSource,
    hook_queue: QueueSource,
) -> Job | None:
    """Cancel an expired job its worker holds (its attempt closes as cancelled, with
    reason ``expired``); returns it, or ``None`` if it changed meanwhile (cancelled by
    a person)."""
    try:
        job = storage.cancel(claim.job.id, now, EXPIRED)
    except (InvalidStateError, NoSuchJobError):
        return None
    _ended([job], now, settings, hook_queue, storage)
    return job


def sweep(
    storage: Storage,
    now: float,
    settings: SettingsSource,
    hook_queue: QueueSource,
) -> int:
    """Cancel the jobs past their expiry that have not started, ``BATCH`` per backend
    call; returns how many."""
    total = 0
    for _ in range(ROUNDS):
        jobs = storage.expire(now, EXPIRED, BATCH)
        if jobs:
            _ended(jobs, now, settings, hook_queue, storage)
        total += len(jobs)
        if len(jobs) < BATCH:
            break
    return total


def _ended(
    jobs: Sequence[Job],
    now: float,
    settings: SettingsSource,
    hook_queue: QueueSource,
    storage: Storage,
) -> None:
    for job in jobs:
        log.info("job %s expired: not started by its expiry", job.id)
        events.job_cancelled(job, settings, hook_queue)
    dependencies.settle(
        storage, [job.id for job in jobs], now, settings=settings, hook_queue=hook_queue
    )
