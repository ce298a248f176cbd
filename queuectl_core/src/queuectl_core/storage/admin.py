"""The role of what a person does to jobs: :class:`Admin`."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from queuectl_core.job import Job, State
from queuectl_core.storage.records import CANCELLED


class Admin(ABC):
    """Cancelling jobs, retrying dead ones and purging: what ``queuectl cancel``,
    ``dlq retry``, ``dlq purge`` and ``purge`` ask of a backend.

    A backend must make each call all or nothing when it is given ids: an unknown id
    or a job in the wrong state changes nothing. A job in the wrong state is refused
    with ``InvalidStateError.refusing``, so every backend words it the same. Cancelling
    a processing job revokes its token, so its worker can no longer change it.
    Checked by :class:`~queuectl_core.testing.contract.admin.AdminContract`.
    """

    @abstractmethod
    def cancel(self, job_id: str, now: float, reason: str = CANCELLED) -> Job:
        """Cancel a pending, failed, processing or waiting job and return it.

        Its ``last_error`` becomes ``reason`` (core's: ``cancelled`` for a person's
        cancel). A processing job's lease is revoked (its worker's renew and finish
        then fail) and its open attempt closed as cancelled, with ``reason`` as its
        error. Raises ``NoSuchJobError``, or ``InvalidStateError`` for a completed,
        dead or cancelled job.
        """

    @abstractmethod
    def expire(self, now: float, reason: str, limit: int = 100) -> list[Job]:
        """Cancel up to ``limit`` jobs that have not started and whose ``expires_at`` is
        at or before ``now``, earliest expiry first; return them as cancelled.

        Not started: state in :data:`~queuectl_core.job.EXPIRABLE` (pending or waiting)
        with ``attempts`` 0; never a processing, failed or ended job. Each is cancelled as
        :meth:`cancel` would (``last_error`` ``reason``, ``updated_at`` ``now``, its
        dependents unsettled), atomically with the check of its state. Called by every
        worker's heartbeat, so it must be cheap when none is due (an index by expiry,
        not a scan) and cost nothing to jobs without ``expires_at``.
        """

    @abstractmethod
    def retry_dead(self, job_ids: Sequence[str] | None, now: float) -> list[str]:
        """Move dead jobs back to pending with ``attempts`` 0 and return their ids.

        A retried job with dependents needs settling again when it next ends (see
        :class:`~queuectl_core.storage.Dependencies`).

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
        limit: int | None = None,
    ) -> int:
        """Delete jobs (and their attempts, and their entries in the index of
        dependents, as parent and as dependent) in ``states``; returns how many.

        With ``job_ids``, only those; all or nothing as in ``retry_dead``. Without,
        ``updated_before`` keeps jobs whose ``updated_at`` is at or after it, and
        ``limit`` (``None``: no limit) deletes at most that many in all, those updated
        longest ago first: a bounded call a worker's retention sweep makes repeatedly,
        which must not scan the jobs it keeps (an index by state and ``updated_at``).
        """
