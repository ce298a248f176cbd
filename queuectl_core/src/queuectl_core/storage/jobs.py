"""The role of storing jobs: :class:`JobStore`."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence

from queuectl_core.job import Attempt, Job, State
from queuectl_core.storage.records import UniqueCheck


class JobStore(ABC):
    """Where jobs and their attempt histories live, and how they are read back.

    A backend must store every field exactly as given (payloads, large priorities,
    binary output) and return it unchanged; enqueue is all or nothing. Reads see
    every change committed before them, by any process. ``counts`` is called
    constantly (``queuectl status``), so it must not scan the jobs.
    Checked by :class:`~queuectl_core.testing.contract.jobs.JobsContract`.
    """

    @abstractmethod
    def enqueue(
        self, jobs: Sequence[Job], unique: Mapping[str, UniqueCheck] | None = None
    ) -> dict[str, str]:
        """Store new jobs, all or nothing, and wake idle workers; returns the duplicates
        it skipped, ``{new job id: existing job id}`` (empty for plain jobs).

        Raises :class:`~queuectl_core.errors.DuplicateJobError` if any id exists
        already, or ``NoSuchJobError`` for an id a job's ``after`` names that is
        neither stored nor in the batch; then nothing is stored. Core never passes an
        id twice in one call (``Queue.store`` refuses such a batch first). Each job's
        ``after`` goes into the index of dependents (see
        :class:`~queuectl_core.storage.Dependencies`).

        Unique keys: the backend keeps an index from each ``unique_key`` to the job
        stored last with it, per namespace (every queue). Jobs are taken in order, in
        the same atomic step as the insert: a job whose id is in ``unique`` is a
        duplicate if the key's job (stored before, or earlier in the batch) exists and
        its :class:`UniqueCheck` ``holds`` for that job's state and ``created_at``; a
        duplicate is not stored, nor its ``after`` indexed. Any other job with a key
        is stored and the key then names it. ``purge`` drops a key whose job it
        deletes. Core never passes a batch in which a job's ``after`` names a job of
        the batch that has a key.
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
