"""The job model: states, jobs and attempts, as plain immutable data."""

from __future__ import annotations

import enum
import os
from dataclasses import dataclass, field, replace
from typing import Any


class State(str, enum.Enum):
    """Where a job is in its life."""

    PENDING = "pending"  # ready to run, or waiting for its run_at time
    PROCESSING = "processing"  # claimed by a worker, under a lease
    COMPLETED = "completed"  # an attempt succeeded
    FAILED = "failed"  # an attempt failed; a retry is scheduled at next_run_at
    DEAD = "dead"  # out of retries: in the dead letter queue
    CANCELLED = "cancelled"  # cancelled by a person, or by a dependency that failed
    WAITING = "waiting"  # waiting for the jobs it depends on (``after``); not claimable

    def __str__(self) -> str:
        return self.value


#: States a worker may claim from (when ``next_run_at`` has come).
READY_STATES = (State.PENDING, State.FAILED)
#: States a job never leaves on its own.
FINAL_STATES = (State.COMPLETED, State.DEAD, State.CANCELLED)
#: The states a job can be cancelled from.
CANCELLABLE = (State.PENDING, State.FAILED, State.PROCESSING, State.WAITING)
#: The states of a job that has not started, with ``attempts`` 0: past its
#: ``expires_at`` it expires (see :mod:`queuectl_core.expiry`).
EXPIRABLE = (State.PENDING, State.WAITING)


class Outcome(str, enum.Enum):
    """How one attempt ended."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # non-zero exit, exception, command not found
    TIMED_OUT = "timed_out"
    LOST = "lost"  # the worker died or lost its lease
    INTERRUPTED = "interrupted"  # a forced worker stop put the job back; does not count
    CANCELLED = "cancelled"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class Progress:
    """What a running attempt reported of itself (``queuectl progress``)."""

    percent: float  # 0 to 100
    message: str | None = None  # one line, at most PROGRESS_MESSAGE_CHARS characters
    at: float = 0.0  # when it was reported (POSIX time)


#: The longest progress message, in characters.
PROGRESS_MESSAGE_CHARS = 200


@dataclass(frozen=True, slots=True)
class Job:
    """A unit of work and its current state.

    Times are POSIX timestamps (float seconds, UTC). ``max_retries`` and ``timeout``
    of ``None`` mean "use the runtime setting in force when it matters".
    """

    id: str
    command: str
    type: str = "shell"
    payload: Any = None
    queue: str = "default"
    priority: int = 0
    max_retries: int | None = None
    timeout: float | None = None
    state: State = State.PENDING
    attempts: int = 0
    created_at: float = 0.0
    updated_at: float = 0.0
    next_run_at: float = 0.0
    worker_id: str | None = None
    lease_expires_at: float | None = None
    last_error: str | None = None
    result: Any = None
    # Options (docs/scheduling.md), kept by backends as one JSON text (job_options.py):
    #: Not started by then (a POSIX time): cancelled with reason ``expired``.
    expires_at: float | None = None
    #: Ids of the jobs this one waits for; with ``after_any``, for their end whatever
    #: it was, else for each to complete.
    after: tuple[str, ...] = ()
    after_any: bool = False
    #: An enqueue with the key of a job that still counts is that job, not a new one:
    #: one in a state of ``unique_while`` (``None``: not ended yet), created within
    #: ``unique_for`` seconds (``None``: whenever). See :mod:`queuectl_core.unique`.
    unique_key: str | None = None
    unique_for: float | None = None
    unique_while: tuple[State, ...] | None = None
    #: The name of the schedule that enqueued it.
    schedule: str | None = None
    #: The working directory of its command (``None``: the worker's).
    cwd: str | None = None
    #: Variables added to its command's environment (values never shown: not even in
    #: the job's ``repr``, which a plugin may log).
    env: dict[str, str] = field(default_factory=dict, repr=False)
    #: Retry rules; ``None``: the setting in force (``backoff_jitter``,
    #: ``retry_on_exit``, ``no_retry_exit``).
    backoff_jitter: bool | None = None
    retry_on_exit: tuple[int, ...] | None = None
    no_retry_exit: tuple[int, ...] | None = None
    #: Fields whose stored value could not be read (shown as a placeholder); a worker
    #: does not run a job missing one it needs (see :mod:`queuectl_core.stored`).
    unreadable: tuple[str, ...] = ()
    #: What its current (or last) attempt last reported with ``queuectl progress``;
    #: ``None`` until then, and again once a new attempt starts. Filled by
    #: ``JobStore.get`` and ``list_jobs`` (a claim's job has none: see
    #: :class:`~queuectl_core.storage.ProgressStore`).
    progress: Progress | None = None

    def evolve(self, **changes: Any) -> Job:
        """A copy with ``changes`` applied."""
        return replace(self, **changes)


@dataclass(frozen=True, slots=True)
class AttemptResult:
    """What an executor reports about one finished attempt."""

    outcome: Outcome
    finished_at: float
    exit_code: int | None = None
    error: str | None = None
    stdout: bytes = b""
    stderr: bytes = b""
    stdout_dropped: int = 0  # bytes dropped from the start to keep the tail
    stderr_dropped: int = 0
    result: Any = None  # a Python handler's JSON-able return value
    #: When the attempt really started, if later than its claim (a prefetched job
    #: waits in its worker before it runs); ``None`` keeps the claim's time.
    started_at: float | None = None
    #: ``False``: a failure that retrying cannot mend (a handler raised
    #: ``NonRetryable``); the job goes to the dead letter queue at once.
    retryable: bool = True


@dataclass(frozen=True, slots=True)
class Attempt:
    """One run of a job, as kept in its history."""

    job_id: str
    number: int  # 1, 2, ... over the job's whole life (a DLQ retry does not reset it)
    worker_id: str
    started_at: float
    outcome: Outcome = Outcome.RUNNING
    finished_at: float | None = None
    exit_code: int | None = None
    error: str | None = None
    stdout: bytes = b""
    stderr: bytes = b""
    stdout_dropped: int = 0
    stderr_dropped: int = 0

    def ended(self, result: AttemptResult) -> Attempt:
        """This attempt as ``result`` closes it; a stream of which the result has no
        bytes keeps what the attempt stored while it ran (see
        :meth:`~queuectl_core.storage.Leases.append_output`)."""
        kept_out, kept_err = not result.stdout, not result.stderr
        return replace(
            self,
            started_at=self.started_at if result.started_at is None else result.started_at,
            outcome=result.outcome,
            finished_at=result.finished_at,
            exit_code=result.exit_code,
            error=result.error,
            stdout=self.stdout if kept_out else result.stdout,
            stderr=self.stderr if kept_err else result.stderr,
            stdout_dropped=max(self.stdout_dropped, result.stdout_dropped)
            if kept_out
            else result.stdout_dropped,
            stderr_dropped=max(self.stderr_dropped, result.stderr_dropped)
            if kept_err
            else result.stderr_dropped,
        )

    @property
    def duration(self) -> float | None:
        """Seconds from start to end, or ``None`` while running."""
        if self.finished_at is None:
            return None
        return max(0.0, self.finished_at - self.started_at)


@dataclass(frozen=True, slots=True)
class WorkerInfo:
    """A live worker as recorded in the backend's worker registry."""

    id: str
    host: str
    pid: int
    queues: tuple[str, ...] = ()  # empty: every queue
    started_at: float = 0.0
    heartbeat_at: float = 0.0
    stop_requested: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


_TOKENS_PER_DRAW = 512
_tokens: list[str] = []  # drawn from the OS, not handed out yet
os.register_at_fork(after_in_child=_tokens.clear)  # a child must not repeat its parent's


def new_token() -> str:
    """16 random hex digits: job ids and lease tokens.

    As ``secrets.token_hex(8)``, but the OS is asked for 512 at a time: one system
    call per token was a tenth of the cost of enqueueing a job in bulk.
    """
    while True:
        try:
            return _tokens.pop()
        except IndexError:
            drawn = os.urandom(8 * _TOKENS_PER_DRAW).hex()
            _tokens.extend(drawn[i : i + 16] for i in range(0, len(drawn), 16))
