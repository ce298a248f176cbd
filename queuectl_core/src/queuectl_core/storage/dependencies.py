"""The role of keeping track of jobs that wait for others: :class:`Dependencies`."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from queuectl_core.job import Job, State
from queuectl_core.storage.records import DependentMove


class Dependencies(ABC):
    """Which jobs wait for which (``Job.after``), and which ended jobs still have
    dependents to settle: what lets core release, cancel or revive a job that waits.

    A backend keeps an index from each job to its *dependents*, the jobs that name it
    in ``after``, maintained by ``enqueue`` (which refuses, all or nothing, a job
    whose ``after`` names an id that is neither stored nor in the batch, with
    ``NoSuchJobError`` for that id) and ``purge``. A job with dependents is
    *unsettled* from the moment it is in a final state (completed, dead, cancelled:
    a worker's ``finish``, ``cancel``, a settle's move, or a dependent enqueued after
    it ended) until :meth:`settle` is called for it; leaving the final states
    (``retry_dead``, a move back to waiting) makes it need settling again at its next
    end. Each of those changes records that atomically with the change itself, so a
    process that dies before settling loses nothing: a worker's sweep finds the job
    through :meth:`unsettled`. Which dependents become pending, stay or are cancelled
    is core's decision (:mod:`queuectl_core.dependencies`); a backend only applies it.
    Checked by :class:`~queuectl_core.testing.contract.dependencies.DependenciesContract`.
    """

    @abstractmethod
    def dependents(self, job_ids: Sequence[str]) -> dict[str, list[Job]]:
        """The stored jobs that name each of ``job_ids`` in their ``after``, whatever
        their state, oldest first; an id without any (or unknown) is left out."""

    @abstractmethod
    def unsettled(self, limit: int = 100) -> list[str]:
        """Up to ``limit`` ids of jobs in a final state whose dependents are unsettled."""

    @abstractmethod
    def settle(
        self, job_id: str, seen: State, moves: Sequence[DependentMove], now: float
    ) -> list[bool] | None:
        """Apply core's decision about the dependents of ``job_id``, all in one step.

        Only if ``job_id`` is still in state ``seen``; else nothing changes and it
        returns ``None``. Each move applies if its job is still in the move's
        ``source`` state; ``job_id``, if in a final state, is settled (out of
        :meth:`unsettled`). Returns whether each move applied. Wakes idle workers if a
        move made a job ready.
        """
