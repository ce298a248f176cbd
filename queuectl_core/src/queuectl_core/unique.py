"""Unique jobs (idempotent enqueue), as Oban has them: the policy.

A job with a ``unique_key`` is a duplicate of the job stored last with that key, and
is then not stored, while that job is in one of its ``unique_while`` states (by
default those of a job that has not ended: :data:`DEFAULT_STATES`) and was created
within its ``unique_for`` (by default whenever). Core turns that into a
:class:`~queuectl_core.storage.UniqueCheck` per job; the backend applies it in the
same atomic step as the insert (``JobStore.enqueue``), so concurrent enqueuers of
one key store one job. See docs/scheduling.md, "Unique jobs".
"""

from __future__ import annotations

from collections.abc import Sequence

from queuectl_core.errors import InvalidJobError
from queuectl_core.job import Job, State
from queuectl_core.storage import UniqueCheck

#: The states in which a job blocks its key by default: those of a job not ended yet
#: (a failed job is waiting for its retry).
DEFAULT_STATES = (State.PENDING, State.WAITING, State.FAILED, State.PROCESSING)


def checks(jobs: Sequence[Job], now: float) -> dict[str, UniqueCheck] | None:
    """The check of each job with a unique key, by job id; ``None`` if none has one."""
    found = {
        job.id: UniqueCheck(
            frozenset(job.unique_while or DEFAULT_STATES),
            None if job.unique_for is None else now - job.unique_for,
        )
        for job in jobs
        if job.unique_key is not None
    }
    return found or None


def check_batch(jobs: Sequence[Job]) -> None:
    """Refuse a batch in which a job waits for one of the batch that has a unique key:
    that one may turn out to be a duplicate, not stored, when the batch is stored."""
    keyed = {job.id: n for n, job in enumerate(jobs, 1) if job.unique_key is not None}
    if not keyed:
        return
    for number, job in enumerate(jobs, 1):
        for parent in job.after:
            if parent in keyed:
                raise InvalidJobError(
                    f"job {number}: after names {parent!r}, a job of the same batch with a "
                    f"unique key (job {keyed[parent]}), which may be a duplicate and not be "
                    "stored; enqueue it first, then this batch"
                )
