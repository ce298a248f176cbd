"""Reporting how an attempt ended: one log line, and the lifecycle event.

A worker reports each of its attempts through :func:`report`, and so does
:mod:`~queuectl_core.worker.recovery` for the attempts of workers that are gone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from queuectl_core import events
from queuectl_core.events import QueueSource
from queuectl_core.job import Attempt, AttemptResult, State
from queuectl_core.settings import Settings
from queuectl_core.storage import Claim, Transition
from queuectl_core.units import human_duration, utc

log = logging.getLogger("queuectl.worker")


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
    queue: QueueSource,
) -> None:
    """Log an attempt's end and, if its transition applied, emit the lifecycle event.

    ``attempt`` builds the event's history record; it is called only when some
    plugin listens, so the hot path never pays for it. ``queue`` is what hooks that
    ask for a queue get (see :meth:`queuectl_core.queue.Queue.for_hooks`).
    """
    level = logging.INFO if applied else logging.WARNING
    log.log(level, "%s", describe(claim, transition, applied))
    if not applied:
        return
    state = transition.state
    if state is State.COMPLETED and events.has_listeners("job_succeeded"):
        events.job_succeeded(transition.applied_to(claim.job), attempt(), settings, queue)
    elif state is State.FAILED and events.has_listeners("job_failed"):
        retry_at = transition.next_run_at or transition.result.finished_at
        job = transition.applied_to(claim.job)
        events.job_failed(job, attempt(), utc(retry_at), settings, queue)
    elif state is State.DEAD and events.has_listeners("job_dead"):
        events.job_dead(transition.applied_to(claim.job), attempt(), settings, queue)
