"""Jobs that wait for others (``after``, ``after_any``): core's rules about them.

A job enqueued with ``after`` is stored ``waiting``. Whenever a job it waits for
ends, core reads the state of every job it waits for and decides (:func:`decide`):

- ``after``: pending once each has completed; cancelled, with the reason
  ``dependency ID dead`` (or ``cancelled``), as soon as one is dead or cancelled;
- ``after_any``: pending once each has ended, whatever the outcome.

A job it waits for that no longer exists (purged, which takes an ended job) counts
as ended well, as does a job of the same id created after it (an id used again
after a purge). When a dead job is retried, each job cancelled because of it is
revived: waiting again (or pending at once), and so, in turn, the jobs cancelled
because of that one.

The backend applies each decision atomically through
:meth:`~queuectl_core.storage.Dependencies.settle`, and keeps, with every change that
ends a job that has dependents, that it still has to be settled: the process that
ended it settles at once (a worker after its finish, ``cancel``, ``dlq retry``,
``enqueue`` for jobs that ended before their dependents came), and every worker's
heartbeat sweeps whatever a process that died left unsettled (:func:`sweep`).
"""

from __future__ import annotations

import logging
import re
import time
from collections import deque
from collections.abc import Iterable, Mapping, Sequence

from queuectl_core import events
from queuectl_core.errors import InvalidJobError, NoSuchJobError
from queuectl_core.events import QueueSource, SettingsSource
from queuectl_core.job import FINAL_STATES, Job, State
from queuectl_core.storage import Claim, DependentMove, Storage, Transition, due_by

log = logging.getLogger("queuectl.dependencies")

#: Jobs settled per call at most, cascades included; what is left is swept later.
MAX_SETTLED = 10_000
#: Unsettled jobs a sweep takes per call, and dependents read per storage call.
BATCH = 100
#: States of a job it waits for that cancel an ``after`` job.
FAILED_DEPENDENCY = (State.DEAD, State.CANCELLED)
_REASON = re.compile(r"dependency (.+) (dead|cancelled)", re.S)


def reason(job_id: str, state: State) -> str:
    """Why a job was cancelled by the one it waited for: ``dependency ID dead``."""
    return f"dependency {job_id} {state.value}"


def blamed(job: Job) -> str | None:
    """The job a dependency-cancelled ``job`` names in its reason, if any."""
    if job.state is not State.CANCELLED or job.after_any or not job.last_error:
        return None
    match = _REASON.fullmatch(job.last_error)
    return match.group(1) if match and match.group(1) in job.after else None


def verdict(job: Job, states: Mapping[str, State | None]) -> tuple[State, str | None]:
    """Where ``job`` belongs given the state of each job it waits for (``None``: gone),
    and the reason if cancelled: pending, waiting, or cancelled."""
    if job.after_any:
        ended = all(state is None or state in FINAL_STATES for state in states.values())
        return (State.PENDING if ended else State.WAITING), None
    for job_id in job.after:
        state = states.get(job_id)
        if state in FAILED_DEPENDENCY:
            assert state is not None
            return State.CANCELLED, reason(job_id, state)
    done = all(state in (None, State.COMPLETED) for state in states.values())
    return (State.PENDING if done else State.WAITING), None


def decide(job: Job, states: Mapping[str, State | None], now: float) -> DependentMove | None:
    """What becomes of dependent ``job`` now (``None``: nothing): a waiting job gets its
    :func:`verdict`; a job cancelled by a dependency that is no longer dead or
    cancelled (retried, not purged) gets it too: revived, or, if another one it
    waits for is dead or cancelled, that one's reason (so that retrying that one
    revives the job)."""
    culprit = blamed(job)
    if job.state is State.WAITING:
        source = State.WAITING
    elif culprit is not None and states.get(culprit) not in (None, *FAILED_DEPENDENCY):
        source = State.CANCELLED  # retried: revived (a culprit purged stays the reason)
    else:
        return None
    target, error = verdict(job, states)
    if target is source and error == job.last_error:
        return None
    ready = target is State.PENDING and due_by(job.next_run_at, now)
    return DependentMove(job.id, source, target, error, ready)


class _States:
    """The states of the jobs dependents wait for, each read once per settle step."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.found: dict[str, Job | None] = {}

    def of(self, dependent: Job) -> dict[str, State | None]:
        states: dict[str, State | None] = {}
        for job_id in dependent.after:
            if job_id not in self.found:
                try:
                    self.found[job_id] = self.storage.get(job_id)
                except NoSuchJobError:
                    self.found[job_id] = None
            job = self.found[job_id]
            if job is None or job.created_at > dependent.created_at:
                states[job_id] = None  # purged, or a new job under a purged one's id
            else:
                states[job_id] = job.state
        return states


def settle(
    storage: Storage,
    job_ids: Iterable[str],
    now: float | None = None,
    *,
    settings: SettingsSource | None = None,
    hook_queue: QueueSource,
) -> list[DependentMove]:
    """Settle the dependents of each of ``job_ids``, and in turn those of the jobs that
    cancels or revives; returns the moves that applied (see :func:`decide`).

    At most ``MAX_SETTLED`` jobs per call: a job cancelled beyond them stays in the
    backend's unsettled list for a sweep, and one not revived yet is when the job it
    names ends again.
    """
    now = time.time() if now is None else now
    applied: list[DependentMove] = []
    todo = deque(dict.fromkeys(job_ids))
    for _ in range(MAX_SETTLED):
        if not todo:
            break
        job_id = todo.popleft()
        try:
            seen = storage.get(job_id).state
        except NoSuchJobError:
            continue
        dependents = storage.dependents([job_id]).get(job_id, [])
        states = _States(storage)
        moves = [move for job in dependents if (move := decide(job, states.of(job), now))]
        done = storage.settle(job_id, seen, moves, now)
        if done is None:
            continue  # it changed meanwhile: whoever changed it settles it
        by_id = {job.id: job for job in dependents}
        for move, moved in zip(moves, done, strict=True):
            if not moved:
                continue  # it changed meanwhile too
            applied.append(move)
            if move.target is not State.PENDING:
                todo.append(move.job_id)  # its own dependents: cancelled or revived too
            if move.target is State.CANCELLED and move.source is State.WAITING:
                job = by_id[move.job_id]
                cancelled = job.evolve(state=State.CANCELLED, last_error=move.error, updated_at=now)
                _cancelled(storage, cancelled, settings, hook_queue)
    return applied


def _cancelled(
    storage: Storage,
    job: Job,
    settings: SettingsSource | None,
    hook_queue: QueueSource,
) -> None:
    """Log a job a dependency cancelled, and emit its ``job_cancelled`` event."""
    log.info("job %s cancelled: %s", job.id, job.last_error)
    if events.has_listeners("job_cancelled"):
        from queuectl_core import settings as settings_module

        events.job_cancelled(job, settings or (lambda: settings_module.load(storage)), hook_queue)


def sweep(
    storage: Storage,
    now: float | None = None,
    *,
    settings: SettingsSource | None = None,
    hook_queue: QueueSource,
) -> list[DependentMove]:
    """Settle the jobs the backend has unsettled, ``BATCH`` at a time until none is
    left (a worker's heartbeat, a purge, an enqueue of jobs that wait); returns the
    moves that applied."""
    applied: list[DependentMove] = []
    tried: set[str] = set()
    for _ in range(MAX_SETTLED // BATCH):
        unsettled = storage.unsettled(BATCH)
        if tried.issuperset(unsettled):  # none left, or none that settling changes
            break
        tried.update(unsettled)
        applied += settle(storage, unsettled, now, settings=settings, hook_queue=hook_queue)
    return applied


def revive(
    storage: Storage,
    job_ids: Sequence[str],
    now: float | None = None,
    *,
    settings: SettingsSource | None = None,
    hook_queue: QueueSource,
) -> int:
    """After ``job_ids`` were retried: settle those that have dependents (the jobs
    their death cancelled come back); returns how many dependents moved."""
    moved = 0
    for start in range(0, len(job_ids), BATCH):
        page = job_ids[start : start + BATCH]
        found = storage.dependents(page)
        if found:
            with_dependents = [job_id for job_id in page if job_id in found]
            moved += len(
                settle(storage, with_dependents, now, settings=settings, hook_queue=hook_queue)
            )
    return moved


def after_finishes(
    storage: Storage,
    finished: Iterable[tuple[Claim, Transition]],
    *,
    settings: SettingsSource | None = None,
    hook_queue: QueueSource,
) -> int:
    """Settle, once their finishes applied, the jobs that ended and had dependents when
    claimed; returns how many dependents became ready. A failure is logged: the
    heartbeat's sweep settles them later."""
    ended = [
        claim.job.id
        for claim, transition in finished
        if claim.dependents and transition.state in FINAL_STATES
    ]
    if not ended:
        return 0
    try:
        moves = settle(storage, ended, settings=settings, hook_queue=hook_queue)
    except Exception as exc:
        log.warning("cannot settle the dependents of %s yet: %s", ", ".join(ended), exc)
        return 0
    return sum(move.ready for move in moves)


# -- at enqueue ----------------------------------------------------------------------------


def check_batch(jobs: Sequence[Job]) -> None:
    """Refuse a batch in which jobs wait for each other in a cycle (``InvalidJobError``
    naming the first job of the cycle, as ``job N``, and the cycle)."""
    number = {job.id: n for n, job in enumerate(jobs, 1)}
    after = {job.id: [i for i in job.after if i in number] for job in jobs}
    done: set[str] = set()
    for start in after:
        if start in done:
            continue
        path, on_path = [start], {start}
        branches = [iter(after[start])]
        while branches:
            following = next(branches[-1], None)
            if following is None:  # every job below this one is free of cycles
                on_path.discard(path[-1])
                done.add(path.pop())
                branches.pop()
            elif following in on_path:
                cycle = [*path[path.index(following) :], following]
                raise InvalidJobError(
                    f"job {number[following]}: after: dependency cycle {' -> '.join(cycle)}"
                )
            elif following not in done:
                path.append(following)
                on_path.add(following)
                branches.append(iter(after[following]))


def outside(jobs: Sequence[Job]) -> tuple[int, str] | None:
    """The first job (its number) and the id it waits for that is not in the batch."""
    ids = {job.id for job in jobs}
    for number, job in enumerate(jobs, 1):
        for job_id in job.after:
            if job_id not in ids:
                return number, job_id
    return None


def unknown(jobs: Sequence[Job], job_id: str) -> InvalidJobError:
    """The error for an ``after`` naming ``job_id``, which does not exist."""
    number = next(
        (n for n, job in enumerate(jobs, 1) if job_id in job.after),
        1,
    )
    return InvalidJobError(f"job {number}: after: no job with id {job_id!r}")
