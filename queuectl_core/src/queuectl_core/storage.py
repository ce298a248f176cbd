"""The storage contract every backend implements.

A backend only stores and moves jobs atomically; every policy decision (when to
retry, when a job is dead, what a timeout means) is made in core and handed to the
backend as a :class:`Transition`. The contract suite in
:mod:`queuectl_core.testing.contract` checks a backend against this module.

A ``Storage`` instance may be shared by several threads of one process (a worker's
main loop and its heartbeat thread); several processes open their own instances.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from queuectl_core.job import (
    READY_STATES,
    Attempt,
    AttemptResult,
    Job,
    Outcome,
    State,
    WorkerInfo,
)

#: The error of an attempt given back unstarted, where a backend keeps its record.
RELEASED = "released before it started"


@dataclass(frozen=True)
class Claim:
    """A job a worker holds under a lease."""

    job: Job  # already in state processing, attempts incremented
    token: str  # fencing token: every later change by this worker must present it
    attempt: int  # the attempt's number in the job's history
    settings_version: int | None = None  # see Storage.settings_version


def due_by(next_run_at: float | None, now: float) -> bool:
    """The "ready now?" rule: a waiting job is claimable at ``now`` (so idle workers
    are woken for it) once its ``next_run_at`` has come; ``None`` keeps a due time
    that has already passed (a job put back after its claim)."""
    return next_run_at is None or next_run_at <= now


@dataclass(frozen=True, slots=True)
class ClaimRequest:
    """Who claims, from which queues, at what time, under what lease, and how many.

    ``queues`` ``None`` means any queue, ``[]`` none. ``limit`` bounds
    :meth:`Storage.claim_many` and :meth:`Storage.finish_and_claim_many` (0: only
    finish); :meth:`Storage.claim` and :meth:`Storage.finish_and_claim` take at
    most one job whatever it says.
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


@dataclass(frozen=True)
class BackendSpec:
    """How a plugin registers a storage backend."""

    name: str
    factory: Callable[[Mapping[str, str]], Storage]  # options -> open storage
    location_option: str  # the option that ``--db``/``QUEUECTL_DB`` set, e.g. "path"
    description: str = ""
    default_options: Mapping[str, str] = field(default_factory=dict)
    #: False for a backend whose data lives inside one process (an in-memory one):
    #: ``worker start`` and ``worker run --count N`` (N > 1) refuse it at once.
    shared: bool = True
    #: options -> open storage, only if its queue exists: raises
    #: :class:`~queuectl_core.errors.NoQueueError` and creates nothing otherwise.
    #: Reading commands open storage this way. ``None``: every location holds a
    #: queue, and ``factory`` is used.
    open_existing: Callable[[Mapping[str, str]], Storage] | None = None


class Waiter:
    """Lets an idle worker sleep until work may have arrived.

    The default waits out the timeout in short naps; backends override it with a
    real notification channel. ``wait`` may return early for any reason.
    """

    nap: float = 0.05

    def wait(self, timeout: float) -> None:
        """Block for at most ``timeout`` seconds, or until notified."""
        time.sleep(max(0.0, min(timeout, self.nap)))

    def close(self) -> None:
        """Release whatever the waiter holds."""


class Storage(ABC):
    """Abstract base class of every storage backend."""

    # -- jobs -----------------------------------------------------------------

    @abstractmethod
    def enqueue(self, jobs: Sequence[Job]) -> None:
        """Store new jobs, all or nothing, and wake idle workers.

        Raises :class:`~queuectl_core.errors.DuplicateJobError` if any id exists
        already; then nothing is stored. Core never passes an id twice in one call
        (``Queue.store`` refuses such a batch first).
        """

    @abstractmethod
    def get(self, job_id: str) -> Job:
        """The job with this id; raises ``NoSuchJobError``."""

    @abstractmethod
    def attempts(self, job_id: str) -> list[Attempt]:
        """The job's attempt history, oldest first; raises ``NoSuchJobError``."""

    @abstractmethod
    def list_jobs(
        self,
        *,
        states: Sequence[State] | None = None,
        queues: Sequence[str] | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[Job]:
        """Jobs matching the filters (``None``: any), newest first, one page."""

    @abstractmethod
    def counts(self) -> dict[tuple[str, State], int]:
        """Number of jobs per (queue, state); only non-zero entries. Must be cheap."""

    @abstractmethod
    def next_due(self, queues: Sequence[str] | None = None) -> float | None:
        """The earliest ``next_run_at`` of a pending or failed job, or ``None``."""

    # -- leases ----------------------------------------------------------------

    @abstractmethod
    def claim(self, request: ClaimRequest) -> Claim | None:
        """Atomically take the best ready job for ``request``, or return ``None``.

        Ready: state pending or failed, ``next_run_at <= request.now``, queue in
        ``request.queues`` (``None``: any queue). Best: highest priority, then
        earliest ``next_run_at``, then enqueue order. The job becomes processing
        with ``worker_id`` set, ``attempts`` + 1, a new token, ``lease_expires_at =
        request.lease_until``; an attempt record is opened with the next attempt
        number. ``request.limit`` is ignored: one job at most.
        """

    @abstractmethod
    def renew(self, job_id: str, token: str, lease_until: float) -> bool:
        """Extend a lease; ``False`` if the token no longer holds the job."""

    @abstractmethod
    def finish(
        self,
        job_id: str,
        token: str,
        transition: Transition,
        *,
        expired_by: float | None = None,
    ) -> bool:
        """Close the open attempt and move the job as ``transition`` says.

        Fenced: applies only while ``token`` still holds the job (and, when
        ``expired_by`` is given, only if the lease expired at or before it, which
        is how a lost worker's job is recovered without racing a late renewal).
        Returns whether it applied. The job's ``last_error`` becomes the result's
        error, its ``result`` the result's value, lease fields are cleared, and
        ``next_run_at`` is set when given. The attempt's ``started_at`` becomes the
        result's when it has one (a prefetched job starts after its claim). Wakes
        idle workers when the job becomes ready again.
        """

    def finish_and_claim(
        self,
        job_id: str,
        token: str,
        transition: Transition,
        request: ClaimRequest,
    ) -> tuple[bool, Claim | None]:
        """``finish`` then ``claim``; backends may do both in one round trip."""
        applied = self.finish(job_id, token, transition)
        return applied, self.claim(request)

    # -- batches: a worker that runs fast jobs claims and stores several at once ------------

    def claim_many(self, request: ClaimRequest) -> list[Claim]:
        """Up to ``request.limit`` claims at once, in the order single claims would
        take them.

        Backends should take them in one atomic step; the default claims one by one.
        """
        claims: list[Claim] = []
        while len(claims) < request.limit:
            claim = self.claim(request)
            if claim is None:
                break
            claims.append(claim)
        return claims

    def finish_and_claim_many(
        self,
        finished: Sequence[Finish],
        request: ClaimRequest,
    ) -> tuple[list[bool], list[Claim]]:
        """``finish`` each of ``finished`` in order, then ``claim_many`` up to
        ``request.limit`` (0: only finish); returns whether each finish applied, and
        the claims.

        Backends should do it all in one atomic step (one transaction, one round trip).
        The default finishes one by one, through ``finish_and_claim`` for one job.
        """
        if len(finished) == 1 and request.limit == 1:
            applied, claim = self.finish_and_claim(*finished[0], request)
            return [applied], [] if claim is None else [claim]
        done = [self.finish(job_id, token, transition) for job_id, token, transition in finished]
        return done, self.claim_many(request)

    def release(self, held: Sequence[tuple[str, str]], now: float) -> list[bool]:
        """Give back claimed jobs that never started, given as (job id, token) pairs;
        returns whether each applied.

        Fenced like ``finish``. The job becomes pending (also one claimed from
        failed) with its lease cleared, ``attempts`` back to what it was before the
        claim, ``updated_at = now`` and its ``next_run_at`` kept, so it is ready at
        once, in its old place. Its unstarted attempt record is deleted, so the next
        claim reuses its number. Wakes idle workers.

        The default, for backends that have no way to delete an attempt, finishes
        the job as an interrupted attempt put back (its record stays).
        """
        back = AttemptResult(Outcome.INTERRUPTED, finished_at=now, error=RELEASED)
        transition = Transition(State.PENDING, back, refund_attempt=True)
        return [self.finish(job_id, token, transition) for job_id, token in held]

    @abstractmethod
    def expired(self, now: float, limit: int = 100) -> list[Claim]:
        """Processing jobs whose lease expired before ``now``, with their tokens."""

    @abstractmethod
    def leased_by(self, worker_id: str) -> list[Claim]:
        """Processing jobs held by this worker, with their tokens."""

    # -- a person's operations ---------------------------------------------------

    @abstractmethod
    def cancel(self, job_id: str, now: float) -> Job:
        """Cancel a pending, failed or processing job and return it.

        A processing job's lease is revoked (its worker's renew and finish then
        fail) and its open attempt closed as cancelled. Raises ``NoSuchJobError``,
        or ``InvalidStateError`` for a completed, dead or cancelled job.
        """

    @abstractmethod
    def retry_dead(self, job_ids: Sequence[str] | None, now: float) -> list[str]:
        """Move dead jobs back to pending with ``attempts`` 0 and return their ids.

        ``None`` retries every dead job. Explicit ids are all or nothing: an
        unknown id raises ``NoSuchJobError`` and a job that is not dead raises
        ``InvalidStateError``, and then nothing changes. Wakes idle workers.
        """

    @abstractmethod
    def purge(
        self,
        states: Sequence[State],
        job_ids: Sequence[str] | None = None,
        *,
        updated_before: float | None = None,
    ) -> int:
        """Delete jobs (and their attempts) in ``states``; returns how many.

        With ``job_ids``, only those; all or nothing as in ``retry_dead``. Without,
        ``updated_before`` keeps jobs whose ``updated_at`` is at or after it.
        """

    # -- runtime settings ----------------------------------------------------------

    @abstractmethod
    def load_settings(self) -> tuple[dict[str, str], int]:
        """The stored setting overrides (name -> text) and their version."""

    @abstractmethod
    def save_setting(self, name: str, value: str | None) -> None:
        """Store an override (``None`` removes it) and bump the settings version."""

    @abstractmethod
    def settings_version(self) -> int:
        """A number that changes whenever a setting is saved."""

    # -- plugin statistics --------------------------------------------------------------

    @abstractmethod
    def add_stats(self, deltas: Mapping[str, float]) -> None:
        """Add each delta to a named counter shared by every process (a new name
        starts at 0), all in one atomic step. For plugins such as metrics, which
        batch their increments; names should start with the plugin's name."""

    @abstractmethod
    def stats(self, prefix: str = "") -> dict[str, float]:
        """Every counter whose name starts with ``prefix``, by name."""

    # -- worker registry -------------------------------------------------------------

    @abstractmethod
    def register_worker(self, worker: WorkerInfo) -> None:
        """Add or replace a worker's registry entry."""

    @abstractmethod
    def heartbeat(self, worker_id: str, now: float) -> bool:
        """Record that the worker is alive; returns whether a stop was requested.

        An unknown (already removed) worker is registered anew as far as the
        backend can; it returns ``True`` only when a stop was requested.
        """

    @abstractmethod
    def unregister_worker(self, worker_id: str) -> None:
        """Remove a worker's entry (no error if absent)."""

    @abstractmethod
    def workers(self) -> list[WorkerInfo]:
        """Every registered worker, oldest first."""

    @abstractmethod
    def request_stop(self, worker_ids: Sequence[str] | None = None) -> int:
        """Ask workers (``None``: all) to stop; returns how many were asked."""

    # -- waiting and closing ------------------------------------------------------------

    def waiter(self, worker_id: str) -> Waiter:
        """A :class:`Waiter` through which an idle worker sleeps until notified."""
        return Waiter()

    def warnings(self) -> list[str]:
        """Problems a person should know about (``queuectl status`` shows them), e.g.
        a server configured to persist nothing. Must be cheap; empty by default."""
        return []

    def initialize(self) -> None:  # noqa: B027 - optional hook, empty by default
        """Make sure ``open_existing`` finds this queue from now on (``queuectl init``).

        Idempotent. Empty by default: for a backend whose ``factory`` creates the
        queue (SQLite creates the file) or that has no ``open_existing``.
        """

    def describe(self) -> str:
        """Where the data lives, for people (e.g. a file path or server URL)."""
        return type(self).__name__

    def close(self) -> None:  # noqa: B027 - optional hook, empty by default
        """Release connections and files."""


class BatchFirstStorage(Storage):
    """A backend whose primitive is :meth:`finish_and_claim_many`, done in one atomic
    step: ``claim``, ``claim_many`` and ``finish_and_claim`` are defined through it."""

    def claim(self, request: ClaimRequest) -> Claim | None:
        if request.limit != 1:
            request = replace(request, limit=1)
        claims = self.finish_and_claim_many([], request)[1]
        return claims[0] if claims else None

    def claim_many(self, request: ClaimRequest) -> list[Claim]:
        return self.finish_and_claim_many([], request)[1]

    def finish_and_claim(
        self,
        job_id: str,
        token: str,
        transition: Transition,
        request: ClaimRequest,
    ) -> tuple[bool, Claim | None]:
        if request.limit != 1:
            request = replace(request, limit=1)
        [applied], claims = self.finish_and_claim_many([(job_id, token, transition)], request)
        return applied, claims[0] if claims else None

    @abstractmethod
    def finish_and_claim_many(
        self,
        finished: Sequence[Finish],
        request: ClaimRequest,
    ) -> tuple[list[bool], list[Claim]]:
        """As :meth:`Storage.finish_and_claim_many`, in one atomic step."""
