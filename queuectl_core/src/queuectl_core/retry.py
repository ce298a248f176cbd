"""The retry rule: what happens to a job after an attempt ends.

A job may run ``max_retries + 1`` times. After failed attempt ``n`` it is retried
``min(backoff_base ** n, backoff_max)`` seconds later; when its attempts are
exhausted it is dead. An interrupted attempt (forced worker stop) puts the job
back as pending without counting. A job with stored values it cannot run without
(:func:`~queuectl_core.stored.cannot_run`) is not run and goes to the dead letter
queue at once: trying it again would read the same values.
"""

from __future__ import annotations

from queuectl_core.job import AttemptResult, Job, Outcome, State
from queuectl_core.settings import Settings
from queuectl_core.storage import Transition
from queuectl_core.stored import cannot_run


def backoff_delay(attempt: int, base: float, maximum: float) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
    try:
        delay = float(base) ** attempt
    except OverflowError:
        return maximum
    return min(delay, maximum)


def max_retries(job: Job, settings: Settings) -> int:
    """The job's own ``max_retries``, or the setting."""
    return job.max_retries if job.max_retries is not None else int(settings["max_retries"])


def decide(job: Job, result: AttemptResult, settings: Settings) -> Transition:
    """The transition for ``job`` (as claimed) after an attempt ended with ``result``."""
    if result.outcome is Outcome.SUCCEEDED:
        return Transition(State.COMPLETED, result)
    if result.outcome is Outcome.INTERRUPTED:
        return Transition(
            State.PENDING, result, next_run_at=result.finished_at, refund_attempt=True
        )
    if cannot_run(job) or job.attempts > max_retries(job, settings):
        return Transition(State.DEAD, result)
    delay = backoff_delay(job.attempts, settings["backoff_base"], settings["backoff_max"])
    return Transition(State.FAILED, result, next_run_at=result.finished_at + delay)
