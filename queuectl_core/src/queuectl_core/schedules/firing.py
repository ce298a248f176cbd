"""Firing due schedules: leaderless, from every running worker.

Each worker's heartbeat thread asks the backend about once a second when the next
schedule is due (:class:`~queuectl_core.schedules.firer.Firer`; one cheap call,
nothing on the claim path) and sleeps until then. A worker that finds schedules due
(:func:`fire_due`) plans each one's runs
(:mod:`.policy`), enqueues each run's job under its slot's id, one job per call, and
then moves the schedule forward with a compare-and-set. Workers racing for the same
schedule enqueue the same ids: the backend stores the first and refuses the others
as duplicates, so each slot is one job. A worker that dies between the two steps
leaves the schedule due; the next one finds the job there and moves it on.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

from queuectl_core.errors import (
    DuplicateJobError,
    InvalidJobError,
    InvalidScheduleError,
    NoSuchJobError,
    NoSuchScheduleError,
)
from queuectl_core.job import Job, State
from queuectl_core.schedules import policy
from queuectl_core.schedules.model import Overlap, Schedule
from queuectl_core.storage import Storage
from queuectl_core.units import iso

log = logging.getLogger("queuectl.schedules")

#: Schedules read per storage call when several are due at once.
BATCH = 100


class Enqueuer(Protocol):
    """What firing needs of a :class:`~queuectl_core.queue.Queue`: its storage, and
    storing new jobs with their ``job_enqueued`` events."""

    @property
    def storage(self) -> Storage: ...

    def store(self, jobs: list[Job]) -> list[Job]: ...


def fire_due(queue: Enqueuer, now: float) -> list[Job]:
    """Fire every schedule due at ``now``; the jobs this call enqueued."""
    enqueued: list[Job] = []
    for schedule in queue.storage.due_schedules(now, BATCH):
        enqueued += fire(queue, schedule, now)
    return enqueued


def fire(queue: Enqueuer, schedule: Schedule, now: float) -> list[Job]:
    """Enqueue the runs of a due ``schedule`` (as read from the backend), then move it
    forward; the jobs this call enqueued (those another worker stored first are not)."""
    storage = queue.storage
    if schedule.unreadable:
        if storage.advance_schedule(schedule.name, schedule.next_run_at, None):
            log.error("schedule %s: its stored definition cannot be read; stopped", schedule.name)
        return []
    plan = policy.plan(schedule, now)
    slots = plan.slots
    if plan.missed:
        log.info(
            "schedule %s: runs missed since %s not run (catch-up %s)",
            schedule.name,
            iso(schedule.next_run_at),
            schedule.catch_up,
        )
    previous = _previous(storage, schedule, slots) if slots else None
    refused = policy.overlapping(schedule, slots, previous)
    if refused is not None:
        log.info("schedule %s: run of %s skipped: %s", schedule.name, iso(slots[-1]), refused)
        slots = []
    jobs = _runs(schedule, slots, now, policy.waits_for(schedule, previous))
    last = (slots[-1], jobs[-1].id) if jobs else None
    if schedule.overlap is not Overlap.ALLOW:
        # Overlap is decided on the last run, so record it as the schedule moves on,
        # before enqueueing: of the workers that read the same schedule, only the one
        # whose move succeeds enqueues, and none decides on an older last run meanwhile.
        # (A worker that dies between the two steps loses that one run.)
        if not storage.advance_schedule(
            schedule.name, schedule.next_run_at, plan.next_run_at, last
        ):
            return []
        return _enqueued(queue, schedule, jobs)
    enqueued = _enqueued(queue, schedule, jobs)
    moved = storage.advance_schedule(schedule.name, schedule.next_run_at, plan.next_run_at, last)
    if not moved and enqueued:  # another worker moved it on, deciding differently
        record_last_run(storage, schedule.name, (slots[-1], enqueued[-1].id))
    return enqueued


def _enqueued(queue: Enqueuer, schedule: Schedule, jobs: Sequence[Job]) -> list[Job]:
    """Store ``jobs``; those this call stored."""
    enqueued = [job for job in jobs if _enqueue(queue, job)]
    for job in enqueued:
        log.info("schedule %s: enqueued job %s", schedule.name, job.id)
    return enqueued


def run_now(queue: Enqueuer, name: str, now: float) -> Job:
    """Enqueue one run of schedule ``name`` now, whatever its timetable, overlap policy
    or pause (``schedule run``); it becomes the schedule's last run."""
    storage = queue.storage
    schedule = storage.get_schedule(name)
    if schedule.unreadable:
        raise InvalidScheduleError(f"schedule {name!r}: its stored definition cannot be read")
    [job] = _jobs(schedule, [policy.manual_job_id(name)], now, None)
    [job] = queue.store([job])  # a duplicate (unique_key): the job it is
    record_last_run(storage, name, (now, job.id), schedule)
    return job


def record_last_run(
    storage: Storage, name: str, last: tuple[float, str], schedule: Schedule | None = None
) -> None:
    """Make ``last`` (a run's time and job id) the schedule's last run, unless a later
    one is recorded: so that overlap looks at the newest run even when a worker that
    skipped the slot moved the schedule on first. ``schedule``: as last read."""
    for _ in range(3):  # firing may move it meanwhile: read it again and retry
        try:
            schedule = schedule or storage.get_schedule(name)
        except NoSuchScheduleError:
            return
        if schedule.last_run_at is not None and schedule.last_run_at >= last[0]:
            return
        at = schedule.next_run_at
        if storage.advance_schedule(name, at, at, last):
            return
        schedule = None


def _previous(storage: Storage, schedule: Schedule, slots: Sequence[float]) -> Job | None:
    """The schedule's previous run's job, if its overlap policy asks and the job still
    exists: the run of the slot it was due at, when a worker enqueued that run but has
    not moved the schedule on yet (it is not one of ``slots``: catch-up skipped past
    it), else its last run."""
    if schedule.overlap is Overlap.ALLOW:
        return None
    candidates = []
    due = schedule.next_run_at
    if due is not None and due not in slots:
        candidates.append(policy.slot_job_id(schedule.name, due))
    if schedule.last_job_id is not None:
        candidates.append(schedule.last_job_id)
    for job_id in candidates:
        try:
            return storage.get(job_id)
        except NoSuchJobError:
            continue
    return None


def _runs(schedule: Schedule, slots: Sequence[float], now: float, after: str | None) -> list[Job]:
    """The jobs of ``slots``; none (logged) if the template is no longer valid."""
    ids = [policy.slot_job_id(schedule.name, slot) for slot in slots]
    try:
        return _jobs(schedule, ids, now, after)
    except InvalidJobError as exc:
        log.error("schedule %s: runs skipped: %s", schedule.name, exc)
        return []


def _jobs(schedule: Schedule, ids: Sequence[str], now: float, after: str | None) -> list[Job]:
    """One job of the template per id. With overlap ``queue`` each waits for the one
    before it (the first for ``after``), whatever its outcome."""
    from queuectl_core.jobspec import build_job

    jobs = []
    for job_id in ids:
        job = build_job({**schedule.job, "id": job_id}, now, f"schedule {schedule.name}")
        job = job.evolve(schedule=schedule.name)
        if after is not None:  # held as dependents are (queuectl_core.dependencies)
            job = job.evolve(state=State.WAITING, after=(after,), after_any=True)
        if schedule.overlap is Overlap.QUEUE:
            after = job.id
        jobs.append(job)
    return jobs


def _enqueue(queue: Enqueuer, job: Job) -> bool:
    """Store one run; ``False`` if another worker stored it first, or if its template's
    ``unique_key`` made it a duplicate of a job that still counts. A run that was to
    wait for a previous run gone meanwhile (purged) is stored ready instead."""
    try:
        [stored] = queue.store([job])
    except DuplicateJobError:
        return False
    except InvalidJobError:
        if not job.after:
            raise
        return _enqueue(queue, job.evolve(state=State.PENDING, after=(), after_any=False))
    return stored.id == job.id
