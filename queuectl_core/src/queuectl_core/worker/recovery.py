"""Finishing the attempts of workers that are gone.

A job whose worker died or stopped renewing its lease is finished as ``lost`` by
:func:`recover`, through the normal retry rule (so it is retried or dead) and the
normal report; a worker's periodic sweep finds such jobs by their expired lease
(:func:`sweep_expired`), a supervisor that saw its child die finds them by worker
id (:func:`recover_worker`) without waiting for the lease to expire.

Each takes the ``hook_queue`` its events hand the hooks that ask for a queue
(:meth:`queuectl_core.queue.Queue.for_hooks`); without one, hooks get a queue on
``storage`` itself.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable

from queuectl_core import dependencies, retry
from queuectl_core import settings as settings_module
from queuectl_core.events import QueueSource
from queuectl_core.job import Attempt, AttemptResult, Outcome
from queuectl_core.queue import Queue
from queuectl_core.settings import Settings
from queuectl_core.storage import Claim, Storage, Transition
from queuectl_core.worker import orphans
from queuectl_core.worker.reporting import attempt_record, report

log = logging.getLogger("queuectl.worker")

#: The error recorded on an attempt whose worker died or lost its lease.
LOST_ERROR = "worker lost"


def recover(
    storage: Storage,
    claims: Iterable[Claim],
    now: float,
    *,
    expired_by: float | None,
    settings: Settings | None = None,
    hook_queue: QueueSource | None = None,
) -> int:
    """Finish each claim as ``lost`` through the retry rule; returns how many applied.

    ``expired_by`` makes each finish apply only if the lease had expired by then (a
    sweep must not race a late renewal); leave it ``None`` when the worker is known
    to be dead.
    """
    settings = settings or settings_module.load(storage)
    hook_queue = hook_queue or Queue(storage).for_hooks
    recovered = 0
    ended: list[tuple[Claim, Transition]] = []
    for claim in claims:
        result = AttemptResult(Outcome.LOST, finished_at=now, error=LOST_ERROR)
        transition = retry.decide(claim.job, result, settings)
        if not storage.finish(claim.job.id, claim.token, transition, expired_by=expired_by):
            continue  # renewed in time, or recovered by someone else
        recovered += 1
        if claim.dependents:
            ended.append((claim, transition))
        if claim.job.worker_id:
            orphans.kill_attempt_processes(claim.job.worker_id, claim.job.id, claim.attempt)
        attempt = _stored_attempt(storage, claim, result)
        report(claim, transition, True, attempt, settings, hook_queue)
    dependencies.after_finishes(storage, ended, settings=settings, hook_queue=hook_queue)
    return recovered


def sweep_expired(
    storage: Storage,
    now: float,
    settings: Settings | None = None,
    hook_queue: QueueSource | None = None,
) -> int:
    """Recover the jobs whose lease expired before ``now``; returns how many."""
    expired = storage.expired(now)
    return recover(storage, expired, now, expired_by=now, settings=settings, hook_queue=hook_queue)


def recover_worker(
    storage: Storage,
    worker_id: str,
    settings: Settings | None = None,
    hook_queue: QueueSource | None = None,
) -> int:
    """Recover every job a dead worker held and remove its registry entry."""
    leased, now = storage.leased_by(worker_id), time.time()
    recovered = recover(
        storage, leased, now, expired_by=None, settings=settings, hook_queue=hook_queue
    )
    storage.unregister_worker(worker_id)
    return recovered


def _stored_attempt(storage: Storage, claim: Claim, result: AttemptResult) -> Callable[[], Attempt]:
    """Reads the recovered attempt back: its start and worker are only in storage."""

    def read() -> Attempt:
        try:
            history = storage.attempts(claim.job.id)
        except Exception:  # the event is informative; a failed read must not stop recovery
            log.debug("cannot read attempts of job %s", claim.job.id, exc_info=True)
            history = []
        stored = next((a for a in history if a.number == claim.attempt), None)
        if stored is not None:
            return stored
        worker_id = claim.job.worker_id or "unknown"
        return attempt_record(claim, result, worker_id, claim.job.updated_at)

    return read
