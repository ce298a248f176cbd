"""The service API: what the CLI and Python programs do with a queue.

>>> from queuectl_core import Queue
>>> with Queue.open() as queue:
...     job = queue.enqueue({"command": "echo hi"})

Validation, settings and lifecycle events live here, so every front end behaves the
same; the backend only stores. So does the queue lifecycle hooks are handed
(:class:`SharedQueue`): one per process and location, opened when a hook asks.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any

from queuectl_core import events, plugins, settings, unique
from queuectl_core.config import Location, resolve
from queuectl_core.errors import (
    DuplicateJobError,
    InvalidJobError,
    InvalidScheduleError,
    InvalidStateError,
    NoQueueError,
    NoSuchJobError,
    NoSuchScheduleError,
    SettingError,
    UnknownExecutorError,
)
from queuectl_core.job import FINAL_STATES, Attempt, Job, State, WorkerInfo
from queuectl_core.pluginkit.lazy import Lazy
from queuectl_core.storage import CANCELLED, Storage

if TYPE_CHECKING:
    from queuectl_core.schedules.model import Schedule
    from queuectl_core.wait import WaitResult

#: Jobs read per storage call when every matching job is wanted (``list --format csv``).
EXPORT_PAGE = 500

log = logging.getLogger("queuectl.plugins")


@dataclass(frozen=True)
class Enqueued:
    """What :meth:`Queue.submit` did: ``jobs`` holds, for each job given, the job as
    stored or, for a duplicate (its ``unique_key`` named a job that still counts), the
    existing job it is instead; ``duplicate`` says which, in the same order."""

    jobs: list[Job]
    duplicate: list[bool]


class Queue:
    """A handle on one queue namespace in one backend."""

    def __init__(self, storage: Storage, location: Location | None = None) -> None:
        self.storage = storage
        self.location = location

    @classmethod
    def open(
        cls, location: Location | None = None, *, create: bool = True, **resolve_args: Any
    ) -> Queue:
        """Open the configured backend (see :func:`queuectl_core.config.resolve`).

        With ``create=False`` only a queue that exists opens; otherwise
        :class:`~queuectl_core.errors.NoQueueError` and nothing is created.
        """
        location = location or resolve(**resolve_args)
        return cls(location.open(create=create), location)

    @classmethod
    def init(cls, location: Location | None = None, **resolve_args: Any) -> tuple[Queue, bool]:
        """Open the configured queue, creating it if need be; also says whether it was new."""
        location = location or resolve(**resolve_args)
        try:
            storage, created = location.open(create=False), False
        except NoQueueError:
            storage, created = location.open(), True
        try:
            storage.initialize()
        except BaseException:
            storage.close()
            raise
        return cls(storage, location), created

    def close(self) -> None:
        """Close the backend connection (a ``with`` block does it at its end)."""
        self.storage.close()

    def for_hooks(self) -> Queue:
        """The ``queue`` lifecycle hooks get for this queue's events: the process's
        :func:`shared_queue` on its location, or, for a queue made from a storage
        alone, one on that storage (which its owner closes)."""
        if self.location is not None:
            return shared_queue(self.location)
        return SharedQueue(self.storage)

    def __enter__(self) -> Queue:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- jobs ----------------------------------------------------------------

    def enqueue(self, spec: Mapping[str, Any] | None = None, **fields: Any) -> Job:
        """Validate and store one job; fields may come as a mapping or keywords."""
        return self.enqueue_many([{**(spec or {}), **fields}])[0]

    def enqueue_many(self, specs: Iterable[Mapping[str, Any]]) -> list[Job]:
        """Validate every job first, then store them all in one step (all or nothing)."""
        return self.store(prepare_jobs(specs))

    def store(self, jobs: list[Job]) -> list[Job]:
        """Store jobs that :func:`prepare_jobs` made, in one step (all or nothing); each
        job as stored, or for a duplicate (``unique_key``) the existing job it is.

        An id that appears twice raises ``DuplicateJobError`` before the backend is
        called: backends are never handed a batch with a repeated id.
        """
        return self.submit(jobs).jobs

    def submit(self, jobs: list[Job]) -> Enqueued:
        """As :meth:`store`, also saying which jobs were duplicates (see :class:`Enqueued`)."""
        seen: set[str] = set()
        waits = False
        for job in jobs:
            if job.id in seen:
                raise DuplicateJobError(job.id)
            seen.add(job.id)
            waits = waits or bool(job.after)
        checks = unique.checks(jobs, time.time())
        try:
            duplicates = self.storage.enqueue(jobs, checks)
        except NoSuchJobError as exc:
            if not waits:
                raise
            from queuectl_core.dependencies import unknown

            raise unknown(jobs, exc.job_id) from None
        stored = [job for job in jobs if job.id not in duplicates] if duplicates else jobs
        if events.has_listeners("job_enqueued"):
            current = Lazy(self.settings)  # read once, and only if a plugin asks for them
            for job in stored:
                events.job_enqueued(job, current.get, self.for_hooks)
        if waits:
            stored = self._settle_enqueued(stored)
        if not duplicates:
            return Enqueued(stored, [False] * len(stored))
        return self._with_existing(jobs, stored, duplicates)

    def _with_existing(
        self, jobs: list[Job], stored: list[Job], duplicates: Mapping[str, str]
    ) -> Enqueued:
        """Each of ``jobs`` as stored, or for a duplicate the existing job, as read now
        (one purged in this instant: the job given, under the existing job's id)."""
        found = {job.id: job for job in stored}
        result = []
        for job in jobs:
            existing_id = duplicates.get(job.id)
            if existing_id is None:
                result.append(found[job.id])
                continue
            if existing_id not in found:
                try:
                    found[existing_id] = self.storage.get(existing_id)
                except NoSuchJobError:
                    found[existing_id] = job.evolve(id=existing_id)
            result.append(found[existing_id])
        return Enqueued(result, [job.id in duplicates for job in jobs])

    def _settle_enqueued(self, jobs: list[Job]) -> list[Job]:
        """Settle what waits for jobs that had ended already; the jobs as that left them."""
        from queuectl_core import dependencies

        now = time.time()
        moves = dependencies.sweep(self.storage, now, hook_queue=self.for_hooks)
        moved = {move.job_id: move for move in moves}
        return [
            job
            if (move := moved.get(job.id)) is None
            else job.evolve(state=move.target, last_error=move.error, updated_at=now)
            for job in jobs
        ]

    def get(self, job_id: str) -> Job:
        """The job ``job_id``; :class:`~queuectl_core.errors.NoSuchJobError` if none."""
        return self.storage.get(job_id)

    def attempts(self, job_id: str) -> list[Attempt]:
        """The job's attempt history, first attempt first (output included)."""
        return self.storage.attempts(job_id)

    def list_jobs(
        self,
        states: Sequence[State] | None = None,
        queues: Sequence[str] | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[Job]:
        """One page of jobs, newest first, filtered by state and queue (``None``: all)."""
        return self.storage.list_jobs(states=states, queues=queues, limit=limit, offset=offset)

    def iter_jobs(
        self,
        states: Sequence[State] | None = None,
        queues: Sequence[str] | None = None,
        limit: int | None = None,
        offset: int = 0,
        page: int = EXPORT_PAGE,
    ) -> Iterator[Job]:
        """Every matching job (at most ``limit``), newest first, read ``page`` at a time.

        Not a snapshot: while jobs are enqueued the pages shift, and a job the previous
        page held is skipped rather than given twice; a job deleted or moved out of the
        filter meanwhile may make one that stays go unseen.
        """
        left = limit
        previous: set[str] = set()
        while left is None or left > 0:
            size = page if left is None else min(page, left)
            jobs = self.storage.list_jobs(states=states, queues=queues, limit=size, offset=offset)
            offset += len(jobs)
            fresh = [job for job in jobs if job.id not in previous]
            yield from fresh if left is None else fresh[:left]
            if left is not None:
                left -= len(fresh)
            if len(jobs) < size:
                return
            previous = {job.id for job in jobs}

    def counts(self) -> dict[tuple[str, State], int]:
        """How many jobs each (queue, state) pair holds, kept by the backend: cheap."""
        return self.storage.counts()

    def cancel(self, job_id: str) -> Job:
        """Cancel a pending, failed, processing (its worker stops it) or waiting job;
        the job. An ``after`` job waiting for it is cancelled too."""
        from queuectl_core import dependencies

        now = time.time()
        job = self.storage.cancel(job_id, now, CANCELLED)
        events.job_cancelled(job, self.settings, self.for_hooks)
        dependencies.settle(self.storage, [job.id], now, hook_queue=self.for_hooks)
        return job

    def wait(
        self,
        job_ids: Sequence[str] | None = None,
        *,
        queues: Sequence[str] | None = None,
        timeout: float | None = None,
        progress: Callable[[WaitResult], None] | None = None,
    ) -> WaitResult:
        """Block until jobs have ended (completed, dead or cancelled); how they ended.

        The jobs: ``job_ids`` (``NoSuchJobError`` for one that does not exist), else
        every job of ``queues``, else every job; for queues, the wait ends when none
        of their jobs is pending, processing, failed or waiting, and the result
        counts the jobs that ended meanwhile. ``timeout`` (seconds, ``None``: none)
        ends it early with ``timed_out`` set. ``progress`` is called with the result
        so far after each look. ``result.ok`` says whether every job completed::

            result = queue.wait(["fetch", "build"], timeout=600)
            print(result.summary())  # 2 jobs ended: 1 completed, 1 dead
        """
        from queuectl_core import wait

        return wait.wait(self.storage, job_ids, queues=queues, timeout=timeout, progress=progress)

    # -- dead letter queue -------------------------------------------------------

    def retry_dead(self, job_ids: Sequence[str] | None) -> list[str]:
        """Move dead jobs (``None``: all) back to pending with a fresh retry budget; the
        jobs their death cancelled (``after``) wait again."""
        from queuectl_core import dependencies

        now = time.time()
        retried = self.storage.retry_dead(job_ids, now)
        dependencies.revive(self.storage, retried, now, hook_queue=self.for_hooks)
        return retried

    def purge_dead(self, job_ids: Sequence[str] | None = None) -> int:
        """Delete dead jobs (``None``: all) and their history; how many."""
        self._settle_before_purge()
        return self.storage.purge([State.DEAD], job_ids)

    def _settle_before_purge(self) -> None:
        """Settle every ended job first: once purged, its dependents would wait for a
        job that is gone, which counts as ended well."""
        from queuectl_core import dependencies

        dependencies.sweep(self.storage, hook_queue=self.for_hooks)

    def purge(self, states: Sequence[State], older_than: float | None = None) -> int:
        """Delete finished jobs (completed, dead, cancelled) and their history.

        With ``older_than`` (seconds), only those last changed longer ago than that.
        """
        unfinished = [state for state in states if state not in FINAL_STATES]
        if unfinished:
            raise InvalidStateError(
                f"only completed, dead or cancelled jobs can be purged, not {unfinished[0]} ones"
            )
        cutoff = None if older_than is None else time.time() - older_than
        self._settle_before_purge()
        return self.storage.purge(states, updated_before=cutoff)

    # -- settings --------------------------------------------------------------------

    def settings(self) -> settings.Settings:
        """The runtime settings every worker shares: ``queue.settings()["max_retries"]``."""
        overrides, version = self.storage.load_settings()
        return settings.Settings(overrides, version)

    def set_setting(self, name: str, raw: str) -> Any:
        """Store setting ``name`` from its text (as ``config set`` takes it); the value.

        Refused with :class:`~queuectl_core.errors.SettingError` outside its range.
        """
        value = settings.validate(name, raw)
        current = self.settings()
        if name in ("heartbeat_interval", "lease_timeout"):
            heartbeat = value if name == "heartbeat_interval" else current["heartbeat_interval"]
            lease = value if name == "lease_timeout" else current["lease_timeout"]
            if heartbeat * 2 > lease:
                raise SettingError(
                    f"heartbeat_interval ({heartbeat:g}s) must be at most half of "
                    f"lease_timeout ({lease:g}s)"
                )
        self.storage.save_setting(name, raw.strip())
        return value

    def unset_setting(self, name: str) -> None:
        """Return setting ``name`` to its default."""
        if name not in settings.registry():
            raise SettingError(settings.unknown_setting_message(name))
        self.storage.save_setting(name, None)

    # -- recurring schedules -------------------------------------------------------------

    def add_schedule(
        self,
        name: str,
        job: Mapping[str, Any],
        *,
        cron: str | None = None,
        every: str | float | None = None,
        timezone: str | None = None,
        catch_up: str | None = None,
        overlap: str | None = None,
    ) -> Schedule:
        """Add schedule ``name``, or update the one of that name in place; returns it.

        ``job`` holds the fields :meth:`enqueue` takes (no ``id``, ``run_at`` or
        ``delay``). It runs on ``cron`` (a cron expression, in ``timezone``, default
        UTC) or ``every`` (a duration: ``"10m"`` or seconds); ``catch_up`` is ``none``,
        ``latest`` (default) or ``all``, ``overlap`` ``allow``, ``skip`` (default) or
        ``queue`` (see docs/scheduling.md). Its next run is computed anew; an updated
        schedule keeps its last run and stays paused if it was. Bad input raises
        :class:`~queuectl_core.errors.InvalidScheduleError` or ``InvalidJobError``,
        and nothing is stored.
        """
        return self.store_schedule(
            prepare_schedule(
                name,
                job,
                cron=cron,
                every=every,
                timezone=timezone,
                catch_up=catch_up,
                overlap=overlap,
            )
        )

    def store_schedule(self, schedule: Schedule) -> Schedule:
        """Store a schedule :func:`prepare_schedule` made, replacing the one of its name
        (whose creation time and last run it keeps, and its pause); returns it."""
        try:
            old = self.storage.get_schedule(schedule.name)
        except NoSuchScheduleError:
            old = None
        if old is not None:
            schedule = schedule.evolve(
                created_at=old.created_at,
                paused=old.paused and not old.unreadable,
                last_run_at=old.last_run_at,
                last_job_id=old.last_job_id,
            )
            if schedule.paused:
                schedule = schedule.evolve(next_run_at=None)
        self.storage.save_schedule(schedule)
        return schedule

    def schedules(self) -> list[Schedule]:
        """Every schedule, by name."""
        return self.storage.list_schedules()

    def schedule(self, name: str) -> Schedule:
        """The schedule ``name``; :class:`~queuectl_core.errors.NoSuchScheduleError` if none."""
        return self.storage.get_schedule(name)

    def last_run_state(self, schedule: Schedule) -> State | None:
        """The state of ``schedule``'s last run's job; ``None`` if none or it is gone."""
        if schedule.last_job_id is None:
            return None
        try:
            return self.get(schedule.last_job_id).state
        except NoSuchJobError:
            return None

    def remove_schedule(self, name: str) -> None:
        """Delete schedule ``name`` (its jobs stay); ``NoSuchScheduleError`` if none."""
        if not self.storage.remove_schedule(name):
            raise NoSuchScheduleError(name)

    def pause_schedule(self, name: str) -> Schedule:
        """Stop schedule ``name`` from firing until :meth:`resume_schedule`; returns it."""
        schedule = self.storage.get_schedule(name)
        paused = schedule.evolve(paused=True, next_run_at=None, updated_at=time.time())
        self.storage.save_schedule(paused)
        return paused

    def resume_schedule(self, name: str) -> Schedule:
        """Let a paused schedule fire again, from its next run after now (the runs its
        pause skipped are not caught up); returns it."""
        from queuectl_core.schedules import timing

        schedule = self.storage.get_schedule(name)
        if schedule.unreadable:
            raise InvalidScheduleError(f"schedule {name!r}: its stored definition cannot be read")
        if not schedule.paused:
            return schedule
        now = time.time()
        resumed = schedule.evolve(
            paused=False, next_run_at=timing.next_after(schedule, now), updated_at=now
        )
        self.storage.save_schedule(resumed)
        return resumed

    def run_schedule(self, name: str) -> Job:
        """Enqueue one run of schedule ``name`` now, whatever its timetable, overlap
        policy or pause; returns its job (id ``NAME@run-...``)."""
        from queuectl_core.schedules import firing

        return firing.run_now(self, name, time.time())

    # -- workers -----------------------------------------------------------------------

    def workers(self) -> list[WorkerInfo]:
        """The registered workers of every host, with their last heartbeat (``heartbeat_at``)."""
        return self.storage.workers()


class SharedQueue(Queue):
    """The queue every lifecycle hook of a process shares (see :func:`shared_queue`).

    Any thread may use it: a ``Storage`` may be shared by the threads of a process
    (SQLite keeps a connection per thread, Redis a pool of them). :meth:`close` leaves
    it open for the other plugins; the process closes it at exit.
    """

    def close(self) -> None:
        """Nothing: other hooks of the process share this queue, closed at exit."""


_shared: dict[tuple[str, tuple[tuple[str, str], ...]], SharedQueue] = {}
_shared_lock = threading.Lock()


def shared_queue(location: Location) -> SharedQueue:
    """The process's :class:`SharedQueue` on ``location``, opened by the first call."""
    key = (location.backend, tuple(sorted(location.options.items())))
    with _shared_lock:
        queue = _shared.get(key)
        if queue is None:
            queue = _shared[key] = SharedQueue(location.open(), location)
        return queue


def close_shared_queues() -> None:
    """Close the shared queues; a later :func:`shared_queue` opens a new one.

    The plugin manager runs this at exit, after the plugins' own exit handlers
    (which may still write through them): see :mod:`queuectl_core.plugins`.
    """
    with _shared_lock:
        queues = list(_shared.values())
        _shared.clear()
    for queue in queues:
        try:
            queue.storage.close()
        except Exception:
            log.debug("cannot close the hooks' queue", exc_info=True)


def _forget_shared_queues() -> None:
    """In a forked child: the parent's connections are not ours to use or close."""
    global _shared_lock
    _shared.clear()
    _shared_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_shared_queues)


def prepare_jobs(specs: Iterable[Mapping[str, Any]]) -> list[Job]:
    """New jobs from their descriptions, every one validated (fields, type, ids unique
    within the batch, no jobs waiting for each other in a cycle) before anything is
    stored or even opened: a refused batch leaves no trace, not even a new empty queue.
    Whether the jobs they wait for exist is checked as they are stored."""
    from queuectl_core.jobspec import build_job  # only here: read-only commands start faster

    now = time.time()
    jobs = []
    seen: set[str] = set()
    known_types: set[str] = set()
    waits = False
    for number, spec in enumerate(specs, 1):
        job = build_job(spec, now, f"job {number}")
        if job.type not in known_types:
            check_type(job.type, f"job {number}")
            known_types.add(job.type)
        if job.id in seen:
            raise InvalidJobError(f"job {number}: id {job.id!r} appears twice")
        seen.add(job.id)
        jobs.append(job)
        waits = waits or bool(job.after)
    if not jobs:
        raise InvalidJobError("no jobs given")
    if waits:
        from queuectl_core.dependencies import check_batch

        check_batch(jobs)
        unique.check_batch(jobs)
    return jobs


def prepare_schedule(
    name: str,
    job: Mapping[str, Any],
    *,
    cron: str | None = None,
    every: str | float | None = None,
    timezone: str | None = None,
    catch_up: str | None = None,
    overlap: str | None = None,
) -> Schedule:
    """A new schedule from its description, validated (its job's type included) before
    anything is stored or opened, with its next run from now; see
    :meth:`Queue.add_schedule` for the arguments."""
    from queuectl_core.schedules import spec

    schedule, example = spec.build(
        name,
        job,
        time.time(),
        cron=cron,
        every=every,
        timezone=timezone,
        catch_up=catch_up,
        overlap=overlap,
    )
    check_type(example.type, "job")
    return schedule


def check_type(job_type: str, where: str = "job") -> None:
    """Raise ``UnknownExecutorError`` unless an executor or handler has this name."""
    if job_type in plugins.executors() or job_type in plugins.handlers():
        return
    known = sorted(set(plugins.executors()) | set(plugins.handlers()))
    raise UnknownExecutorError(
        f"{where}: unknown type {job_type!r}; executors and handlers: {', '.join(known)}"
    )
