"""Waiting for jobs to end: what ``queuectl wait`` and :meth:`Queue.wait` do.

Jobs named by id are read until each is in a final state (completed, dead,
cancelled). Every job of some queues (or of all) is watched through the per-state
counts, which cost the same however many jobs there are: the wait ends when none is
pending, processing, failed (a retry to come) or waiting, and the jobs that ended
meanwhile are those the completed, dead and cancelled counts grew by (jobs purged
meanwhile are not counted).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from queuectl_core.errors import NoSuchJobError
from queuectl_core.job import FINAL_STATES, State
from queuectl_core.storage import JobStore
from queuectl_core.units import human_duration

#: The first pause between two looks, and the longest one (the pause grows by half
#: each time, so a long wait costs a read a second).
FIRST_POLL = 0.05
MAX_POLL = 1.0
#: What :attr:`WaitResult.jobs` says of a job purged while waited for.
GONE = "gone"
#: The states a job named by id has ended in, as :attr:`WaitResult.jobs` names them.
ENDED = (*(state.value for state in FINAL_STATES), GONE)


@dataclass(frozen=True)
class WaitResult:
    """How a wait ended: how many jobs ended in each final state, and how many had not
    (after a timeout). ``jobs``: with ids, each job's state when last seen (``gone``:
    purged meanwhile)."""

    completed: int = 0
    dead: int = 0
    cancelled: int = 0
    gone: int = 0
    unfinished: int = 0
    timed_out: bool = False
    jobs: dict[str, str] | None = field(default=None, compare=False)

    @property
    def total(self) -> int:
        return self.completed + self.dead + self.cancelled + self.gone + self.unfinished

    @property
    def ok(self) -> bool:
        """Whether every job ended, and completed."""
        return self.total == self.completed and not self.timed_out

    def summary(self, timeout: float | None = None) -> str:
        """One line: ``3 jobs ended: 2 completed, 1 dead``."""
        counts = (
            ("completed", self.completed),
            ("dead", self.dead),
            ("cancelled", self.cancelled),
            ("gone", self.gone),
        )
        ended = ", ".join(f"{number} {name}" for name, number in counts if number)
        if self.timed_out:
            after = "" if timeout is None else f" after {human_duration(timeout)}"
            done = f" ({ended})" if ended else ""
            return (
                f"timed out{after}: {self.unfinished} of {_jobs(self.total)} "
                f"still running or waiting{done}"
            )
        if not self.total:
            return "no jobs to wait for"
        return f"{_jobs(self.total)} ended: {ended}"

    def view(self) -> dict[str, object]:
        """What ``wait --json`` prints (docs/json.md, "wait")."""
        view: dict[str, object] = {
            "completed": self.completed,
            "dead": self.dead,
            "cancelled": self.cancelled,
            "gone": self.gone,
            "unfinished": self.unfinished,
            "total": self.total,
            "timed_out": self.timed_out,
        }
        if self.jobs is not None:
            view["jobs"] = dict(self.jobs)
        return view


def _jobs(count: int) -> str:
    return f"{count} job{'' if count == 1 else 's'}"


class _ById:
    """Jobs named by id: each read until it has ended."""

    def __init__(self, queue: JobStore, job_ids: Sequence[str]) -> None:
        self.queue = queue
        self.states = {job_id: queue.get(job_id).state.value for job_id in dict.fromkeys(job_ids)}

    def look(self) -> WaitResult:
        for job_id, state in self.states.items():
            if state in ENDED:
                continue
            try:
                self.states[job_id] = self.queue.get(job_id).state.value
            except NoSuchJobError:
                self.states[job_id] = GONE
        states = Counter(self.states.values())
        ended = sum(states[name] for name in ENDED)
        return WaitResult(
            completed=states[State.COMPLETED.value],
            dead=states[State.DEAD.value],
            cancelled=states[State.CANCELLED.value],
            gone=states[GONE],
            unfinished=len(self.states) - ended,
            jobs=dict(self.states),
        )


class _ByCounts:
    """Every job of some queues (``None``: all), through the per-state counts."""

    def __init__(self, queue: JobStore, queues: Sequence[str] | None) -> None:
        self.queue = queue
        self.queues = None if queues is None else set(queues)
        self.start = self.counts()

    def counts(self) -> dict[State, int]:
        totals: dict[State, int] = dict.fromkeys(State, 0)
        for (queue, state), number in self.queue.counts().items():
            if self.queues is None or queue in self.queues:
                totals[state] = totals.get(state, 0) + number
        return totals

    def look(self) -> WaitResult:
        now = self.counts()
        ended = {state: max(0, now[state] - self.start.get(state, 0)) for state in FINAL_STATES}
        return WaitResult(
            completed=ended[State.COMPLETED],
            dead=ended[State.DEAD],
            cancelled=ended[State.CANCELLED],
            unfinished=sum(n for state, n in now.items() if state not in FINAL_STATES),
        )


def wait(
    queue: JobStore,
    job_ids: Sequence[str] | None = None,
    *,
    queues: Sequence[str] | None = None,
    timeout: float | None = None,
    progress: Callable[[WaitResult], None] | None = None,
) -> WaitResult:
    """Wait for jobs of ``queue`` to end: see :meth:`queuectl_core.queue.Queue.wait`."""
    if job_ids is not None and queues is not None:
        raise ValueError("wait for job ids or for queues, not both")
    watched = _ById(queue, job_ids) if job_ids is not None else _ByCounts(queue, queues)
    deadline = None if timeout is None else time.monotonic() + timeout
    pause = FIRST_POLL
    while True:
        result = watched.look()
        if progress is not None:
            progress(result)
        if not result.unfinished:
            return result
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            return replace(result, timed_out=True)
        time.sleep(pause if left is None else min(pause, left))
        pause = min(pause * 1.5, MAX_POLL)
