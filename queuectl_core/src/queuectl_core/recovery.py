"""Ending attempts: reporting how they went, and finishing those whose worker is gone.

A worker reports each of its attempts through :func:`report`: one log line, and the
lifecycle events. A job whose worker died or stopped renewing its lease is finished
as ``lost`` by :func:`recover`, through the normal retry rule (so it is retried or
dead) and the same report; a worker's periodic sweep finds such jobs by their
expired lease (:func:`sweep_expired`), a supervisor that saw its child die finds
them by worker id (:func:`recover_worker`) without waiting for the lease to expire.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable

from queuectl_core import events, orphans, retry
from queuectl_core.job import Attempt, AttemptResult, Outcome, State
from queuectl_core.settings import Settings
from queuectl_core.storage import Claim, Storage, Transition
from queuectl_core.units import human_duration, utc

log = logging.getLogger("queuectl.worker")

#: The error recorded on an attempt whose worker died or lost its lease.
LOST_ERROR = "worker lost"


def load_settings(storage: Storage) -> Settings:
    """The settings in force in ``storage``."""
    return Settings(*storage.load_settings())


def attempt_record(
    claim: Claim, result: AttemptResult, worker_id: str, started_at: float
) -> Attempt:
    """The history record of the claim's attempt as it ended with ``result``."""
    return Attempt(claim.job.id, claim.attempt, worker_id, started_at).ended(result)


def describe(claim: Claim, transition: Transition, applied: bool) -> str:
    """One line about an attempt's end: ``job 3f2a attempt 2 failed: exit code 1; retry in 4s``."""
    result = transition.result
    outcome = str(result.outcome).replace("_", " ")
    head = f"job {claim.job.id} attempt {claim.attempt} {outcome}"
    reason = result.error
    if reason is None and result.exit_code not in (None, 0):
        reason = f"exit code {result.exit_code}"
    if reason and reason.startswith(outcome):  # "timed out after 5s", "interrupted: ..."
        head = f"job {claim.job.id} attempt {claim.attempt} {reason}"
    elif reason:
        head = f"{head}: {reason}"
    if not applied:
        return f"{head}; lease lost, result discarded"
    if transition.state is State.FAILED and transition.next_run_at is not None:
        delay = max(0.0, transition.next_run_at - result.finished_at)
        return f"{head}; retry in {human_duration(delay)}"
    if transition.state is State.DEAD:
        return f"{head}; dead after {claim.job.attempts} attempts"
    if transition.state is State.PENDING:
        return f"{head}; back to pending"
    return head


def report(
    claim: Claim,
    transition: Transition,
    applied: bool,
    attempt: Callable[[], Attempt],
    settings: Settings,
) -> None:
    """Log an attempt's end and, if its transition applied, emit the lifecycle event.

    ``attempt`` builds the event's history record; it is called only when some
    plugin listens, so the hot path never pays for it.
    """
    level = logging.INFO if applied else logging.WARNING
    log.log(level, "%s", describe(claim, transition, applied))
    if not applied:
        return
    state = transition.state
    if state is State.COMPLETED and events.has_listeners("job_succeeded"):
        events.job_succeeded(transition.applied_to(claim.job), attempt(), settings)
    elif state is State.FAILED and events.has_listeners("job_failed"):
        retry_at = transition.next_run_at or transition.result.finished_at
        events.job_failed(transition.applied_to(claim.job), attempt(), utc(retry_at), settings)
    elif state is State.DEAD and events.has_listeners("job_dead"):
        events.job_dead(transition.applied_to(claim.job), attempt(), settings)


def recover(
    storage: Storage,
    claims: Iterable[Claim],
    now: float,
    *,
    expired_by: float | None,
    settings: Settings | None = None,
) -> int:
    """Finish each claim as ``lost`` through the retry rule; returns how many applied.

    ``expired_by`` makes each finish apply only if the lease had expired by then (a
    sweep must not race a late renewal); leave it ``None`` when the worker is known
    to be dead.
    """
    settings = settings or load_settings(storage)
    recovered = 0
    for claim in claims:
        result = AttemptResult(Outcome.LOST, finished_at=now, error=LOST_ERROR)
        transition = retry.decide(claim.job, result, settings)
        if not storage.finish(claim.job.id, claim.token, transition, expired_by=expired_by):
            continue  # renewed in time, or recovered by someone else
        recovered += 1
        if claim.job.worker_id:
            orphans.kill_attempt_processes(claim.job.worker_id, claim.job.id, claim.attempt)
        report(claim, transition, True, _stored_attempt(storage, claim, result), settings)
    return recovered


def sweep_expired(storage: Storage, now: float, settings: Settings | None = None) -> int:
    """Recover the jobs whose lease expired before ``now``; returns how many."""
    return recover(storage, storage.expired(now), now, expired_by=now, settings=settings)


def recover_worker(storage: Storage, worker_id: str, settings: Settings | None = None) -> int:
    """Recover every job a dead worker held and remove its registry entry."""
    recovered = recover(
        storage, storage.leased_by(worker_id), time.time(), expired_by=None, settings=settings
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
