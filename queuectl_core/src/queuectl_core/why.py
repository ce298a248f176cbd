"""Why a job is where it is: the one-line answer of ``queuectl why``, ``show`` and dashboards.

:func:`explain` reads the job, the worker registry and the settings (cheap calls
only) and names the first thing that holds the job back or says what it is doing:
running on a host, delayed, retrying, its queue paused or at its concurrency limit,
waiting for a free worker,
no live worker serving its queue, or how it ended. Each :class:`Reason` has a stable ``code`` for
scripts and a ``text`` for people.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from queuectl_core import dependencies, expiry, progress, stored
from queuectl_core.errors import NoSuchJobError
from queuectl_core.job import FINAL_STATES, Job, State, WorkerInfo
from queuectl_core.storage import EXPIRED
from queuectl_core.units import human_duration, iso

if TYPE_CHECKING:
    from queuectl_core.queue import Queue
    from queuectl_core.schedules.model import Schedule
    from queuectl_core.settings import Settings

#: Every code :func:`explain` gives, in the order the rules are tried.
CODES = (
    "completed", "dead", "expired", "dependency_failed", "cancelled", "unreadable",
    "running", "waiting", "delayed", "retrying", "queue_paused", "queue_limited", "no_worker",
    "ready",
)  # fmt: skip
#: The codes :func:`explain_schedule` gives, for ``why NAME`` of a schedule.
SCHEDULE_CODES = ("schedule_paused", "schedule_stopped", "scheduled")


#: Dependency states that no longer hold a waiting job back (``purged``: gone).
_ENDED = frozenset({*(state.value for state in FINAL_STATES), "purged"})


@dataclass(frozen=True)
class Reason:
    """Why a job is where it is: a ``code`` from :data:`CODES`, one line of ``text``,
    and the facts behind it (JSON-ready) in ``details``."""

    code: str
    text: str
    details: dict[str, Any] = field(default_factory=dict)

    def view(self, job_id: str) -> dict[str, Any]:
        """The reason as ``why --json`` shows it."""
        return {"id": job_id, "reason": self.code, "text": self.text, **self.details}


def explain(
    queue: Queue,
    job: Job,
    now: float | None = None,
    when: Callable[[float], str] = lambda t: iso(t) or "-",
) -> Reason:
    """Why ``job`` is where it is at ``now``; ``when`` writes a time for the text."""
    now = time.time() if now is None else now
    return _Explainer(queue, job, now, when).reason()


@dataclass
class _Explainer:
    queue: Queue
    job: Job
    now: float
    when: Callable[[float], str]

    def reason(self) -> Reason:
        job = self.job
        if job.state is State.COMPLETED:
            return Reason("completed", f"completed at {self.when(job.updated_at)}")
        if job.state is State.DEAD:
            return self._dead()
        if job.state is State.CANCELLED:
            return self._cancelled()
        if expiry.expired(job, self.now):
            return self._expired("; will be cancelled by the next worker sweep")
        if stored.cannot_run(job):
            return Reason(
                "unreadable",
                f"cannot run: {stored.problem(job)}",
                {"fields": list(stored.cannot_run(job))},
            )
        if job.state is State.PROCESSING:
            return self._running()
        if job.state is State.WAITING:
            return self._waiting()
        if job.next_run_at > self.now:
            return self._retrying() if job.state is State.FAILED else self._delayed()
        return self._due()

    def _dead(self) -> Reason:
        job = self.job
        error = f": {_line(job.last_error)}" if job.last_error else ""
        return Reason(
            "dead",
            f"in the dead letter queue after {_attempts(job.attempts)}{error}",
            {"attempts": job.attempts, "error": job.last_error},
        )

    def _expired(self, more: str = "") -> Reason:
        at = self.job.expires_at
        assert at is not None
        return Reason("expired", f"expired at {self.when(at)}{more}", {"at": iso(at)})

    def _cancelled(self) -> Reason:
        job = self.job
        if job.last_error == EXPIRED and job.expires_at is not None:
            return self._expired()
        parent = dependencies.blamed(job)
        if parent is not None:
            return Reason(
                "dependency_failed",
                f"cancelled at {self.when(job.updated_at)}: {_line(job.last_error)} "
                f"(queuectl dlq retry {parent} resumes it)",
                {"error": job.last_error, "dependency": parent},
            )
        because = f" ({_line(job.last_error)})" if job.last_error else ""
        return Reason(
            "cancelled",
            f"cancelled at {self.when(job.updated_at)}{because}",
            {"error": job.last_error},
        )

    def _running(self) -> Reason:
        job = self.job
        worker = self._worker(job.worker_id)
        where = f"on host {worker.host} " if worker is not None else ""
        since = f"since {self.when(job.updated_at)} ({human_duration(self.now - job.updated_at)})"
        text = f"running {where}(worker {job.worker_id}) {since}"
        if job.progress is not None:
            text += f", {progress.text(job.progress)}"
        if worker is None:
            text += "; its worker is no longer registered: the job is recovered once its lease ends"
        return Reason(
            "running",
            text,
            {
                "worker_id": job.worker_id,
                "host": None if worker is None else worker.host,
                "since": iso(job.updated_at),
                "progress": progress.view(job.progress),
            },
        )

    def _waiting(self) -> Reason:
        job = self.job
        states = {parent: self._state_of(parent) for parent in job.after}
        open_ = [p for p, state in states.items() if state not in _ENDED]
        if job.schedule is not None and open_ and len(job.after) == 1:
            return Reason(
                "waiting",
                f"waiting for the previous run {open_[0]} ({states[open_[0]]}) of schedule "
                f"{job.schedule} to end (overlap queue)",
                {"waiting_for": open_, "after": list(job.after), "after_any": job.after_any},
            )
        listed = ", ".join(f"{p} ({states[p]})" for p in open_[:5]) + (
            f" and {len(open_) - 5} more" if len(open_) > 5 else ""
        )
        what = "to end" if job.after_any else "to complete"
        return Reason(
            "waiting",
            f"waiting for {len(open_)} of its {len(job.after)} dependencies {what}: {listed}"
            if open_
            else "waiting: its dependencies have ended; a worker settles it within seconds",
            {"waiting_for": open_, "after": list(job.after), "after_any": job.after_any},
        )

    def _state_of(self, job_id: str) -> str:
        try:
            return self.queue.get(job_id).state.value
        except NoSuchJobError:
            return "purged"

    def _delayed(self) -> Reason:
        at = self.job.next_run_at
        return Reason(
            "delayed",
            f"delayed until {self.when(at)} (in {human_duration(at - self.now)})",
            {"until": iso(at)},
        )

    def _retrying(self) -> Reason:
        job = self.job
        at = job.next_run_at
        total = self._max_retries() + 1
        error = f" after: {_line(job.last_error)}" if job.last_error else ""
        return Reason(
            "retrying",
            f"retrying at {self.when(at)} (in {human_duration(at - self.now)}), "
            f"attempt {job.attempts + 1} of {total}{error}",
            {"at": iso(at), "attempt": job.attempts + 1, "of": total},
        )

    def _due(self) -> Reason:
        job = self.job
        control = self.queue.storage.queue_controls().get(job.queue)
        if control is not None and control.paused:
            from queuectl_core.queues import paused_since

            return Reason(
                "queue_paused",
                f"{paused_since(control, self.when)} (queuectl queue resume {job.queue})",
                {
                    "queue": job.queue,
                    "pause_reason": control.reason,
                    "since": iso(control.paused_at),
                },
            )
        if control is not None and control.concurrency is not None:
            running = self.queue.counts().get((job.queue, State.PROCESSING), 0)
            if running >= control.concurrency:
                from queuectl_core.queues import at_limit

                return Reason(
                    "queue_limited",
                    f"ready, but {at_limit(control, running)}: it starts when one of them ends",
                    {"queue": job.queue, "concurrency": control.concurrency, "running": running},
                )
        serving = self._live_workers_serving(job.queue)
        if not serving:
            return Reason(
                "no_worker",
                f"ready, but no live worker serves queue {job.queue} "
                f"(start one: queuectl worker start --queue {job.queue})",
                {"queue": job.queue},
            )
        count = len(serving)
        return Reason(
            "ready",
            f"ready since {self.when(job.next_run_at)}: waiting for one of the {count} live "
            f"worker{'s' if count != 1 else ''} serving queue {job.queue} to be free "
            "(jobs of higher priority, or due earlier, run first)",
            {"queue": job.queue, "live_workers": count},
        )

    # -- what the rules read ---------------------------------------------------------------

    @cached_property
    def _settings(self) -> Settings:
        return self.queue.settings()

    def _max_retries(self) -> int:
        if self.job.max_retries is not None:
            return self.job.max_retries
        return int(self._settings["max_retries"])

    @cached_property
    def _workers(self) -> Sequence[WorkerInfo]:
        return self.queue.workers()

    def _worker(self, worker_id: str | None) -> WorkerInfo | None:
        return next((w for w in self._workers if w.id == worker_id), None)

    def _live_workers_serving(self, queue_name: str) -> list[WorkerInfo]:
        lease_timeout = float(self._settings["lease_timeout"])
        return [
            worker
            for worker in self._workers
            if self.now - worker.heartbeat_at <= lease_timeout
            and not worker.stop_requested
            and (not worker.queues or queue_name in worker.queues)
        ]


def explain_schedule(
    schedule: Schedule,
    when: Callable[[float], str] = lambda t: iso(t) or "-",
) -> Reason:
    """Why schedule ``schedule`` fires or does not (``queuectl why NAME``)."""
    last = (
        f"; last run {schedule.last_job_id} at {when(schedule.last_run_at)}"
        if schedule.last_job_id is not None and schedule.last_run_at is not None
        else "; it has not run yet"
    )
    details = {"schedule": schedule.name, "last_job_id": schedule.last_job_id}
    if schedule.unreadable:
        return Reason("schedule_stopped", "schedule stopped: its stored definition cannot be read")
    if schedule.paused:
        return Reason(
            "schedule_paused",
            f"schedule {schedule.name} is paused since {when(schedule.updated_at)} "
            f"(queuectl schedule resume {schedule.name}){last}",
            details,
        )
    if schedule.next_run_at is None:
        return Reason(
            "schedule_stopped", f"schedule {schedule.name} will not fire again{last}", details
        )
    return Reason(
        "scheduled",
        f"schedule {schedule.name}: next run at {when(schedule.next_run_at)}{last}",
        {**details, "next_run_at": iso(schedule.next_run_at)},
    )


def _attempts(count: int) -> str:
    return f"{count} attempt{'s' if count != 1 else ''}"


def _line(text: str | None, width: int = 200) -> str:
    """``text`` on one line, cut to ``width``."""
    flat = " ".join((text or "").split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"
