"""The values that cross the storage seam: claims, claim requests and transitions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from queuectl_core.job import READY_STATES, AttemptResult, Job, State

#: The error of an attempt given back unstarted, where a backend keeps its record.
RELEASED = "released before it started"
#: The reason of a job a person cancelled (``Admin.cancel``'s default).
CANCELLED = "cancelled"
#: The reason of a job cancelled because it had not started by its ``expires_at``
#: (see :mod:`queuectl_core.expiry`).
EXPIRED = "expired"


@dataclass(frozen=True)
class Claim:
    """A job a worker holds under a lease."""

    job: Job  # already in state processing, attempts incremented
    token: str  # fencing token: every later change by this worker must present it
    attempt: int  # the attempt's number in the job's history
    settings_version: int | None = None  # see SettingsStore.settings_version
    #: Other jobs waited for this one when it was claimed: its worker settles them as
    #: soon as it ends (see :class:`~queuectl_core.storage.Dependencies`). A backend
    #: that cannot tell leaves it ``False``; a worker's sweep settles them then.
    dependents: bool = False


def due_by(next_run_at: float | None, now: float) -> bool:
    """The "ready now?" rule: a waiting job is claimable at ``now`` (so idle workers
    are woken for it) once its ``next_run_at`` has come; ``None`` keeps a due time
    that has already passed (a job put back after its claim)."""
    return next_run_at is None or next_run_at <= now


@dataclass(frozen=True, slots=True)
class ClaimRequest:
    """Who claims, from which queues, at what time, under what lease, and how many.

    ``queues`` ``None`` means any queue, ``[]`` none. ``limit`` bounds
    :meth:`~queuectl_core.storage.Batches.claim_many` and
    :meth:`~queuectl_core.storage.Batches.finish_and_claim_many` (0: only finish);
    :meth:`~queuectl_core.storage.Leases.claim` and
    :meth:`~queuectl_core.storage.Leases.finish_and_claim` take at most one job
    whatever it says.
    """

    worker_id: str
    queues: Sequence[str] | None
    now: float
    lease_until: float  # the new leases' ``lease_expires_at``
    limit: int = 1


@dataclass(frozen=True)
class Transition:
    """What core decided should happen to a claimed job when an attempt ends.

    ``state`` is completed, failed (a retry at ``next_run_at``), dead, or pending
    (an interrupted attempt put back; ``refund_attempt`` then undoes the claim's
    increment of ``attempts``).
    """

    state: State
    result: AttemptResult
    next_run_at: float | None = None
    refund_attempt: bool = False

    def makes_ready(self) -> bool:
        """Whether the job it moves can be claimed at once, judged at the attempt's
        end (see :func:`due_by`): backends wake idle workers when it applies."""
        return self.state in READY_STATES and due_by(self.next_run_at, self.result.finished_at)

    def applied_to(self, job: Job) -> Job:
        """The claimed ``job`` as this transition leaves it (lease fields cleared)."""
        result = self.result
        return job.evolve(
            state=self.state,
            attempts=job.attempts - 1 if self.refund_attempt else job.attempts,
            updated_at=result.finished_at,
            next_run_at=job.next_run_at if self.next_run_at is None else self.next_run_at,
            worker_id=None,
            lease_expires_at=None,
            last_error=result.error,
            result=result.result,
        )


#: An attempt's end to store: (job id, token, transition), as ``finish`` takes them.
Finish = tuple[str, str, Transition]

#: The output streams of an attempt, as ``Attempt`` names their fields.
STREAMS = ("stdout", "stderr")


@dataclass(frozen=True, slots=True)
class OutputChunk:
    """What a running attempt printed on one stream since the last chunk (see
    :meth:`~queuectl_core.storage.Leases.append_output`): ``data``, after ``skipped``
    earlier bytes that were printed but are not sent (over the output limit)."""

    stream: str  # one of STREAMS
    data: bytes
    skipped: int = 0

    def __post_init__(self) -> None:
        if self.stream not in STREAMS:  # backends build field and key names from it
            raise ValueError(f"unknown output stream {self.stream!r}")


def kept_tail(stored: bytes, dropped: int, chunk: OutputChunk, limit: int) -> tuple[bytes, int]:
    """A stream's stored bytes and dropped count once ``chunk`` is appended: the last
    ``limit`` bytes, and the count grown by the chunk's ``skipped`` and what is cut."""
    data = stored + chunk.data
    cut = max(0, len(data) - limit)
    return data[cut:], dropped + chunk.skipped + cut


@dataclass(frozen=True, slots=True)
class DependentMove:
    """What core decided should happen to a job that waits for another (see
    :meth:`~queuectl_core.storage.Dependencies.settle`).

    The job moves from state ``source`` (waiting, or cancelled by a dependency) to
    ``target`` (pending, waiting or cancelled), only if it is still in ``source``; its
    ``last_error`` becomes ``error`` (``None`` clears it) and its ``updated_at`` the
    settle's ``now``; its ``next_run_at`` is kept. ``ready`` says that a job that
    becomes pending is due at once (:func:`due_by`), so backends wake idle workers.
    """

    job_id: str
    source: State
    target: State
    error: str | None = None
    ready: bool = False


@dataclass(frozen=True, slots=True)
class UniqueCheck:
    """What makes a new job with a unique key a duplicate of the key's job (core's
    policy from its ``unique_while`` and ``unique_for``, see :mod:`queuectl_core.unique`):
    that job exists, is in one of ``states`` and was created at ``since`` or later
    (``None``: whenever)."""

    states: frozenset[State]
    since: float | None = None

    def holds(self, state: str, created_at: float) -> bool:
        """Whether a stored job in ``state`` (as stored), created at ``created_at``,
        makes the new job a duplicate."""
        if self.since is not None and created_at < self.since:
            return False
        return any(state == known.value for known in self.states)
