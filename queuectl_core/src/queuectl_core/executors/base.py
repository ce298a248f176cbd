"""What an executor is given and what it returns."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from queuectl_core.job import AttemptResult, Job
from queuectl_core.storage.records import OutputChunk


@dataclass(frozen=True, slots=True)
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
    #: Stores what the running job printed so far (live output, see
    #: :class:`~queuectl_core.executors.output.LiveOutput`); ``False`` once the lease is
    #: lost. ``None``: nowhere to send it. An executor may ignore it.
    live_output: Callable[[Sequence[OutputChunk]], bool] | None = None
    #: The attempt's fencing token: a shell job gets it as ``QUEUECTL_JOB_TOKEN`` (its own
    #: credential for ``queuectl progress``/``heartbeat``); never logged nor shown.
    token: str = field(default="", repr=False)
    #: When the timeout comes: the seconds it is extended by now (``queuectl heartbeat
    #: --extend``, see :mod:`queuectl_core.progress`); ``None``: never extended.
    extension: Callable[[], float] | None = field(default=None, repr=False)


class Executor(Protocol):
    """Runs a job's attempt to the end and reports how it went.

    ``run`` never raises for a job's own failure: it returns an ``AttemptResult``
    with outcome failed or timed_out and a one-line ``error`` (``retryable=False`` for a
    failure retrying cannot mend, which then names why). When ``abort_fd``
    becomes readable and ``abort_reason()`` is not None, it stops the job as soon
    as it can and returns outcome ``interrupted``.
    """

    def run(self, context: ExecutionContext) -> AttemptResult: ...


class JobInterrupted(BaseException):
    """Stops an in-process handler early.

    The worker raises it in the main thread, from a signal handler, while a handler
    of the ``python`` executor runs (a forced stop, a cancellation); the executor
    turns it into outcome ``interrupted``. It derives from ``BaseException`` so that
    handler code catching ``Exception`` does not swallow it.
    """

    def __init__(self, reason: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason


def timed_out_error(timeout: float) -> str:
    """The one-line error of an attempt stopped by its timeout: ``timed out after 5s``."""
    return f"timed out after {timeout:g}s"


def interrupted_error(reason: str) -> str:
    """The one-line error of an attempt stopped on the worker's request."""
    return f"interrupted: {reason}"
