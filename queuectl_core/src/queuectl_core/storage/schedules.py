"""The role of keeping recurring schedules: :class:`ScheduleStore`."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from queuectl_core.schedules.model import Schedule


class ScheduleStore(ABC):
    """The schedules every worker of a namespace fires, by name.

    A backend stores a schedule as its name, its definition as one text
    (:func:`queuectl_core.schedules.codec.definition`, read back with
    :func:`~queuectl_core.schedules.codec.schedule`) and three values firing changes:
    ``next_run_at`` (``None``: it never comes due, as while paused), ``last_run_at``
    and ``last_job_id``. Policy (when a schedule fires, what it enqueues) is core's;
    a backend keeps the schedules due soonest cheap to find, and moves a schedule
    forward only by an atomic compare-and-set, so of the workers that race to fire
    it one moves it. Checked by
    :class:`~queuectl_core.testing.contract.schedules.SchedulesContract`.
    """

    @abstractmethod
    def save_schedule(self, schedule: Schedule) -> bool:
        """Store ``schedule`` under its name, replacing one of that name; returns whether
        it is new. Replacing keeps the stored ``last_run_at`` and ``last_job_id`` (they
        belong to firing: :meth:`advance_schedule`)."""

    @abstractmethod
    def get_schedule(self, name: str) -> Schedule:
        """The schedule ``name``; ``NoSuchScheduleError`` if there is none."""

    @abstractmethod
    def list_schedules(self) -> list[Schedule]:
        """Every schedule, by name."""

    @abstractmethod
    def remove_schedule(self, name: str) -> bool:
        """Delete the schedule ``name``; returns whether there was one."""

    @abstractmethod
    def due_schedules(self, now: float, limit: int = 100) -> list[Schedule]:
        """At most ``limit`` schedules whose ``next_run_at`` is at or before ``now``,
        earliest first."""

    @abstractmethod
    def next_schedule_at(self) -> float | None:
        """The earliest ``next_run_at`` of any schedule, or ``None``: called by every
        worker about once a second, so it must be cheap however many schedules there are."""

    @abstractmethod
    def advance_schedule(
        self,
        name: str,
        expected: float | None,
        next_run_at: float | None,
        last_run: tuple[float, str] | None = None,
    ) -> bool:
        """Atomically, if schedule ``name`` exists and its ``next_run_at`` is
        ``expected`` (``None`` matches ``None``): set its ``next_run_at`` and, when
        given, its last run (``last_run_at``, ``last_job_id``). Returns whether it did."""
