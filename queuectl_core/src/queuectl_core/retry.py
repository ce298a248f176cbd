"""The retry rule: what happens to a job after an attempt ends.

A job may run ``max_retries + 1`` times. After failed attempt ``n`` it is retried
``min(backoff_base ** n, backoff_max)`` seconds later, or with ``backoff_jitter`` a
random time between 0 and that ("full jitter", as in Celery and the AWS article
"Exponential Backoff And Jitter"); when its attempts are exhausted it is dead.

Some failures go to the dead letter queue at once, retries left or not, with the
reason in the error (``exit code 2: not retried (no_retry_exit)``):

- an attempt whose executor says retrying cannot help (``retryable`` false: a
  Python handler raised :class:`~queuectl_core.errors.NonRetryable`);
- an exit code listed in ``no_retry_exit``, or one not listed in a non-empty
  ``retry_on_exit`` (the job's own rule, else the setting). Only an exit code
  counts: a timeout, a lost worker or a signal goes through the normal rule.

An interrupted attempt (forced worker stop) puts the job back as pending without
counting. A job with stored values it cannot run without
(:func:`~queuectl_core.stored.cannot_run`) is not run and goes to the dead letter
queue at once: trying it again would read the same values.
"""

from __future__ import annotations

import random as _random
from collections.abc import Callable
from dataclasses import replace

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


def jitter(job: Job, settings: Settings) -> bool:
    """The job's own ``backoff_jitter``, or the setting."""
    own = job.backoff_jitter
    return own if own is not None else bool(settings["backoff_jitter"])


def exit_rules(job: Job, settings: Settings) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """``(retry_on_exit, no_retry_exit)``: the job's own, else the settings."""
    retry_on = job.retry_on_exit if job.retry_on_exit is not None else settings["retry_on_exit"]
    no_retry = job.no_retry_exit if job.no_retry_exit is not None else settings["no_retry_exit"]
    return tuple(retry_on), tuple(no_retry)


def not_retried(job: Job, result: AttemptResult, settings: Settings) -> str | None:
    """Why a failed attempt goes to the dead letter queue whatever retries are left
    (its error, with the rule that says so), or ``None``."""
    if not result.retryable:
        return result.error or "not retried"
    code = result.exit_code
    if code is None or result.outcome is not Outcome.FAILED:
        return None
    retry_on, no_retry = exit_rules(job, settings)
    if code in no_retry:
        return f"{_exit_error(result, code)}: not retried (no_retry_exit)"
    if retry_on and code not in retry_on:
        return f"{_exit_error(result, code)}: not retried (not in retry_on_exit)"
    return None


def decide(
    job: Job,
    result: AttemptResult,
    settings: Settings,
    random: Callable[[], float] = _random.random,
) -> Transition:
    """The transition for ``job`` (as claimed) after an attempt ended with ``result``;
    ``random`` draws the jitter, a float in [0, 1)."""
    if result.outcome is Outcome.SUCCEEDED:
        return Transition(State.COMPLETED, result)
    if result.outcome is Outcome.INTERRUPTED:
        return Transition(
            State.PENDING, result, next_run_at=result.finished_at, refund_attempt=True
        )
    if cannot_run(job):
        return Transition(State.DEAD, result)
    reason = not_retried(job, result, settings)
    if reason is not None:
        return Transition(State.DEAD, replace(result, error=reason))
    if job.attempts > max_retries(job, settings):
        return Transition(State.DEAD, result)
    delay = backoff_delay(job.attempts, settings["backoff_base"], settings["backoff_max"])
    if jitter(job, settings):
        delay *= random()
    return Transition(State.FAILED, result, next_run_at=result.finished_at + delay)


def _exit_error(result: AttemptResult, code: int) -> str:
    """``exit code 2``, or the attempt's own error with its code
    (``command not found (exit code 127)``)."""
    plain = f"exit code {code}"
    return plain if result.error in (None, plain) else f"{result.error} (exit code {code})"
