"""What firing a due schedule does: which slots run (catch-up), whether and how they
run beside the previous run (overlap), and the job id of each run.

Every worker that finds a schedule due decides the same from the same stored state,
and a slot's job has one id, so the backend's refusal of a duplicate id makes each
slot one job however many workers race (see :mod:`queuectl_core.schedules.firing`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from queuectl_core import limits
from queuectl_core.job import FINAL_STATES, Job, State, new_token
from queuectl_core.schedules import timing
from queuectl_core.schedules.model import CatchUp, Overlap, Schedule


@dataclass(frozen=True, slots=True)
class Plan:
    """The slots to run now, oldest first, and the schedule's next run after them."""

    slots: list[float]
    next_run_at: float | None
    #: Whether due slots are left out (by catch-up ``none`` or ``latest``, or past the
    #: limit of ``all``).
    missed: bool = False


def plan(schedule: Schedule, now: float) -> Plan:
    """The runs due at ``now`` by the schedule's catch-up policy.

    ``latest`` runs the latest due slot; ``all`` each due slot, at most
    ``limits.CATCH_UP_RUNS`` (the latest ones); ``none`` the latest slot only if it
    is on time, that is late by at most half the time to the slot after it and by at
    most ``limits.MISSED_AFTER`` (a worker fires within about a second).
    """
    first = schedule.next_run_at
    if first is None or first > now:
        return Plan([], first)
    following = timing.next_after(schedule, now)
    limit = limits.CATCH_UP_RUNS if schedule.catch_up is CatchUp.ALL else 1
    slots = timing.latest_slots(schedule, first, now, limit)
    if schedule.catch_up is CatchUp.NONE and slots and not on_time(slots[-1], following, now):
        return Plan([], following, missed=True)
    return Plan(slots, following, missed=not slots or slots[0] != first)


def on_time(slot: float, following: float | None, now: float) -> bool:
    """Whether a run of ``slot`` at ``now`` counts as on time (catch-up ``none``)."""
    allowed = limits.MISSED_AFTER
    if following is not None:
        allowed = min(allowed, (following - slot) / 2)
    return now - slot <= allowed


def overlapping(schedule: Schedule, slots: list[float], previous: Job | None) -> str | None:
    """Whether the runs of ``slots`` may go ahead beside ``previous`` (the schedule's
    last run's job, ``None`` if there is none or it is gone): ``None`` if they may,
    else why not. Overlap ``queue`` has them wait for it (:func:`waits_for`) unless
    it has not started itself, so that one run waits at most."""
    if not slots or previous is None or previous.state in FINAL_STATES:
        return None
    if schedule.overlap is Overlap.SKIP:
        return f"previous run {previous.id} is {previous.state.value}"
    if schedule.overlap is Overlap.QUEUE and not started(previous):
        return f"previous run {previous.id} still waits to start"
    return None


def waits_for(schedule: Schedule, previous: Job | None) -> str | None:
    """The job a new run waits for (overlap ``queue``), or ``None``."""
    if schedule.overlap is not Overlap.QUEUE or previous is None:
        return None
    return None if previous.state in FINAL_STATES else previous.id


def started(job: Job) -> bool:
    """Whether a job that has not ended ran at all (or runs now): not one still
    pending or waiting (a queued run) for its first attempt."""
    return job.state not in (State.PENDING, State.WAITING) or job.attempts > 0


def slot_job_id(name: str, slot: float) -> str:
    """The job id of a slot's run: ``NAME@2025-01-02T03:04:05Z``; the same in every worker."""
    moment = datetime.fromtimestamp(int(slot), timezone.utc)
    return f"{name}@{moment.strftime('%Y-%m-%dT%H:%M:%SZ')}"


def manual_job_id(name: str) -> str:
    """The job id of a run fired by hand (``schedule run``): ``NAME@run-<16 hex digits>``."""
    return f"{name}@run-{new_token()}"
