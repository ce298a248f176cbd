"""The role of leasing jobs to workers: :class:`Leases`."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from queuectl_core.storage.records import Claim, ClaimRequest, OutputChunk, Transition


class Leases(ABC):
    """How a worker takes a job, holds it, and stores the attempt's end.

    A backend must claim atomically: two workers never get the same job, even from
    different processes or hosts. Each claim returns a new fencing token, and every
    later change to the job (renew, finish) applies only while that token still
    holds it, so a worker that lost its job (cancelled, recovered, claimed anew) can
    change nothing. ``expired`` and ``leased_by`` return tokens too, so that core can
    recover a lost worker's jobs through the same fenced ``finish``.
    Checked by :class:`~queuectl_core.testing.contract.leases.LeasesContract`.
    """

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

    @abstractmethod
    def append_output(
        self, job_id: str, token: str, attempt: int, chunks: Sequence[OutputChunk], limit: int
    ) -> bool:
        """Add what a running attempt printed to its record, so that ``attempts`` shows
        it while the job runs (live output); ``False`` if ``token`` no longer holds the
        job or ``attempt`` is not its open attempt, and then nothing changes.

        Each chunk is appended to its stream of the attempt: the stream keeps its last
        ``limit`` bytes and its dropped count grows by the chunk's ``skipped`` and by
        what is cut (:func:`~queuectl_core.storage.records.kept_tail`). One atomic
        step for every chunk. ``finish`` replaces a stream with the result's own
        output (a superset of what was appended), except that a result with no bytes
        of a stream keeps what was appended to it (e.g. an attempt recovered from a
        lost worker keeps what it printed); ``cancel`` keeps it too.
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

    @abstractmethod
    def expired(self, now: float, limit: int = 100) -> list[Claim]:
        """Processing jobs whose lease expired before ``now``, with their tokens."""

    @abstractmethod
    def leased_by(self, worker_id: str) -> list[Claim]:
        """Processing jobs held by this worker, with their tokens."""
