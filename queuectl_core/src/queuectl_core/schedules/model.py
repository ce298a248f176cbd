"""The schedule model: a named, recurring job template, as plain immutable data."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from typing import Any


class CatchUp(str, enum.Enum):
    """What firing does with the runs missed while no worker was running."""

    NONE = "none"  # skip them: only a run that is (about) on time is enqueued
    LATEST = "latest"  # enqueue one run for them all: the latest
    ALL = "all"  # enqueue each (at most ``limits.CATCH_UP_RUNS``, the latest ones)

    def __str__(self) -> str:
        return self.value


class Overlap(str, enum.Enum):
    """What a run does while the schedule's previous run has not ended."""

    ALLOW = "allow"  # runs beside it
    SKIP = "skip"  # is skipped
    QUEUE = "queue"  # waits for it to end (one run waits at most; others are skipped)

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class Schedule:
    """A job template enqueued on a timetable: ``cron`` (in ``timezone``) or ``every``.

    ``job`` holds the fields ``enqueue`` takes (without ``id``, ``run_at`` and
    ``delay``), as given. Times are POSIX timestamps. ``next_run_at`` is the time of
    the next run, ``None`` while paused; ``last_run_at`` and ``last_job_id`` name the
    latest run enqueued (its time slot, or when ``run`` fired it) and its job.
    """

    name: str
    job: dict[str, Any] = field(default_factory=dict)
    cron: str | None = None
    every: float | None = None  # seconds
    timezone: str = "UTC"  # of ``cron``
    catch_up: CatchUp = CatchUp.LATEST
    overlap: Overlap = Overlap.SKIP
    paused: bool = False
    created_at: float = 0.0
    updated_at: float = 0.0
    next_run_at: float | None = None
    last_run_at: float | None = None
    last_job_id: str | None = None
    #: The stored definition could not be read (hand-edited, or a newer queuectl's):
    #: such a schedule is shown but never fires.
    unreadable: bool = False

    def evolve(self, **changes: Any) -> Schedule:
        """A copy with ``changes`` applied."""
        return replace(self, **changes)

    @property
    def timing(self) -> str:
        """When it fires, as a person reads it: ``every 10m``, ``0 3 * * * (Europe/Berlin)``."""
        if self.every is not None:
            return f"every {duration_text(self.every)}"
        if self.cron is None:
            return "-"
        return self.cron if self.timezone == "UTC" else f"{self.cron} ({self.timezone})"


def duration_text(seconds: float) -> str:
    """Whole seconds in the largest unit that divides them: ``90s``, ``10m``, ``1d``, ``2w``."""
    whole = int(seconds)
    for size, unit in ((604800, "w"), (86400, "d"), (3600, "h"), (60, "m")):
        if whole >= size and whole % size == 0:
            return f"{whole // size}{unit}"
    return f"{seconds:g}s"
