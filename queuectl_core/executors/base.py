"""What an executor is given and what it returns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from queuectl_core.job import AttemptResult, Job


@dataclass(frozen=True)
class ExecutionContext:
    """Everything an executor needs to run one attempt."""

    job: Job
    attempt: int  # the attempt's number in the job's history
    worker_id: str
    timeout: float | None  # seconds, None for no limit
    kill_grace: float  # seconds between SIGTERM and SIGKILL when stopping a job
    output_limit: int  # bytes of stdout and of stderr to keep (the tail)
    abort_fd: int  # becomes readable when the worker wants the job stopped early
    abort_reason: Callable[[], str | None]  # why (``"interrupted"``, ``"cancelled"``) or None


class Executor(Protocol):
    """Runs a job's attempt to the end and reports how it went.

    ``run`` never raises for a job's own failure: it returns an ``AttemptResult``
    with outcome failed or timed_out and a one-line ``error``. When ``abort_fd``
    becomes readable and ``abort_reason()`` is not None, it stops the job as soon
    as it can and returns outcome ``interrupted``.
    """

    def run(self, context: ExecutionContext) -> AttemptResult: ...
