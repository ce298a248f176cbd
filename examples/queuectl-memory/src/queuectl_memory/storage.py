"""An in-memory storage backend: the reference implementation of the contract.

Dicts guarded by one lock, for one process. Instances built on the same
:class:`MemoryNamespace` see the same data, as separate connections to a real
backend would; :func:`named_namespace` gives every instance opened in this process
under one name the same namespace. It exists to prove the contract suite right and
to show a backend author the smallest correct implementation; it keeps nothing
across restarts and shares nothing with other processes.
"""

from __future__ import annotations

import copy
import json
import os
import secrets
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from queuectl_core.config import check_option_names
from queuectl_core.errors import (
    DuplicateJobError,
    InvalidStateError,
    NoSuchJobError,
    NoSuchScheduleError,
)
from queuectl_core.job import (
    CANCELLABLE,
    EXPIRABLE,
    FINAL_STATES,
    READY_STATES,
    Attempt,
    Job,
    Outcome,
    Progress,
    State,
    WorkerInfo,
)
from queuectl_core.schedules import codec
from queuectl_core.schedules.model import Schedule
from queuectl_core.storage import (
    CANCELLED,
    Claim,
    ClaimRequest,
    DependentMove,
    OutputChunk,
    QueueControl,
    Storage,
    Transition,
    UniqueCheck,
    Waiter,
    kept_tail,
)

#: A schedule as kept: its definition text, next_run_at, last_run_at, last_job_id.
StoredSchedule = tuple[str, float | None, float | None, str | None]

#: The backend's options: ``--db``/``QUEUECTL_DB`` set ``name``.
KNOWN_OPTIONS = ("name",)

#: What ``queuectl status`` warns about for every instance.
PROCESS_ONLY = (
    "the memory backend keeps jobs inside this one process until it exits: "
    "other queuectl commands and workers never see them"
)


class MemoryNamespace:
    """The data that every :class:`MemoryStorage` built on it shares."""

    def __init__(self, name: str = "private") -> None:
        self.name = name
        self.changed = threading.Condition()  # its lock guards every field below
        self.generation = 0  # bumped whenever a job may have become ready
        self.jobs: dict[str, Job] = {}  # in enqueue order
        self.history: dict[str, list[Attempt]] = {}
        self.tokens: dict[str, str] = {}  # job id -> token, while processing
        self.extensions: dict[str, float] = {}  # job id -> its attempt's timeout extension
        self.settings: dict[str, str] = {}
        self.settings_version = 0
        self.stats: dict[str, float] = {}
        self.workers: dict[str, WorkerInfo] = {}
        #: name -> the definition text core encodes, and next_run_at, last_run_at and
        #: last_job_id (what firing changes), as a real backend keeps them.
        self.schedules: dict[str, StoredSchedule] = {}
        #: job id -> the ids of the jobs that wait for it (``after``), in enqueue order
        self.dependents: dict[str, list[str]] = {}
        #: job id -> whether its dependents are unsettled (see ``Dependencies``); only
        #: for jobs that have dependents
        self.unsettled: dict[str, bool] = {}
        #: unique key -> the id of the job stored last with it (see ``JobStore.enqueue``)
        self.unique: dict[str, str] = {}
        #: queue -> its control, for a paused or limited queue (see ``QueueControls``)
        self.controls: dict[str, QueueControl] = {}

    def wake(self) -> None:
        """Wake every waiter (the caller holds the lock)."""
        self.generation += 1
        self.changed.notify_all()


_named: dict[str, MemoryNamespace] = {}
_named_lock = threading.Lock()


def named_namespace(name: str) -> MemoryNamespace:
    """The namespace called ``name`` in this process, created empty on first use."""
    with _named_lock:
        if name not in _named:
            _named[name] = MemoryNamespace(name)
        return _named[name]


class MemoryWaiter(Waiter):
    """Sleeps on the namespace's condition; a wake-up since the last wait is not lost."""

    def __init__(self, namespace: MemoryNamespace) -> None:
        self.namespace = namespace
        self.seen = namespace.generation

    def wait(self, timeout: float) -> None:
        namespace = self.namespace
        with namespace.changed:
            namespace.changed.wait_for(lambda: namespace.generation != self.seen, timeout)
            self.seen = namespace.generation


def _stored(value: Any) -> Any:
    """``value`` after a JSON round trip, as a real backend would keep it."""
    return None if value is None else json.loads(json.dumps(value))


class MemoryStorage(Storage):
    """A thread-safe, single-process in-memory backend."""

    def __init__(self, namespace: MemoryNamespace | None = None) -> None:
        self.namespace = namespace if namespace is not None else MemoryNamespace()
        self.lock = self.namespace.changed

    @classmethod
    def from_options(cls, options: Mapping[str, str]) -> MemoryStorage:
        """An instance on the namespace the options name (text values, as configured)."""
        check_option_names("memory", options, KNOWN_OPTIONS)
        return cls(named_namespace(options.get("name", "default")))

    # -- jobs -----------------------------------------------------------------

    def enqueue(
        self, jobs: Sequence[Job], unique: Mapping[str, UniqueCheck] | None = None
    ) -> dict[str, str]:
        ns = self.namespace
        with self.lock:
            for job in jobs:
                if job.id in ns.jobs:
                    raise DuplicateJobError(job.id)
            named, duplicates = self._unique_keys(jobs, unique)
            if duplicates:
                jobs = [job for job in jobs if job.id not in duplicates]
            batch = {job.id for job in jobs}
            for job in jobs:
                for parent in job.after:
                    if parent not in ns.jobs and parent not in batch:
                        raise NoSuchJobError(parent)
            ns.unique.update(named)
            for job in jobs:
                ns.jobs[job.id] = job.evolve(
                    payload=_stored(job.payload), result=_stored(job.result)
                )
                ns.history[job.id] = []
            for job in jobs:
                for parent in job.after:
                    ns.dependents.setdefault(parent, []).append(job.id)
                    ns.unsettled[parent] = True  # settled when it ends, or now if it has
            ns.wake()
            return duplicates

    def _unique_keys(
        self, jobs: Sequence[Job], unique: Mapping[str, UniqueCheck] | None
    ) -> tuple[dict[str, str], dict[str, str]]:
        """The keys the batch's jobs take (key -> id, to apply once nothing can refuse
        the batch) and its duplicates (new id -> existing id), jobs taken in order."""
        ns = self.namespace
        named: dict[str, str] = {}
        duplicates: dict[str, str] = {}
        accepted: dict[str, Job] = {}
        for job in jobs:
            if job.unique_key is None:
                continue
            check = unique.get(job.id) if unique else None
            holder_id = named.get(job.unique_key) or ns.unique.get(job.unique_key)
            holder = (
                None if holder_id is None else accepted.get(holder_id) or ns.jobs.get(holder_id)
            )
            if check and holder and check.holds(holder.state.value, holder.created_at):
                duplicates[job.id] = holder.id
                continue
            named[job.unique_key] = job.id
            accepted[job.id] = job
        return named, duplicates

    def _job(self, job_id: str) -> Job:
        job = self.namespace.jobs.get(job_id)
        if job is None:
            raise NoSuchJobError(job_id)
        return job

    def get(self, job_id: str) -> Job:
        with self.lock:
            return self._job(job_id)

    def attempts(self, job_id: str) -> list[Attempt]:
        with self.lock:
            self._job(job_id)
            return list(self.namespace.history[job_id])

    def _select(self, states: Iterable[State] | None, queues: Sequence[str] | None) -> list[Job]:
        wanted = None if states is None else set(states)
        return [
            job
            for job in self.namespace.jobs.values()
            if (wanted is None or job.state in wanted) and (queues is None or job.queue in queues)
        ]

    def list_jobs(
        self,
        *,
        states: Sequence[State] | None = None,
        queues: Sequence[str] | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[Job]:
        with self.lock:
            newest_first = sorted(
                reversed(self._select(states, queues)), key=lambda job: -job.created_at
            )
        return newest_first[offset : offset + limit]

    def counts(self) -> dict[tuple[str, State], int]:
        counts: dict[tuple[str, State], int] = {}
        with self.lock:
            for job in self.namespace.jobs.values():
                counts[job.queue, job.state] = counts.get((job.queue, job.state), 0) + 1
        return counts

    def _closed(self) -> set[str]:
        """The queues no claim takes from: paused, or at their concurrency limit."""
        ns = self.namespace
        closed = {queue for queue, control in ns.controls.items() if control.paused}
        limits: dict[str, int] = {}
        for queue, control in ns.controls.items():
            if control.concurrency is not None:
                limits[queue] = control.concurrency
        if limits:
            for job in ns.jobs.values():
                if job.state is State.PROCESSING and job.queue in limits:
                    limits[job.queue] -= 1
            closed.update(queue for queue, left in limits.items() if left <= 0)
        return closed

    def _claimable(self, queues: Sequence[str] | None, now: float | None = None) -> list[Job]:
        """Ready jobs of ``queues`` (``None``: any) that are not in a closed queue (and,
        with ``now``, are due by then), in enqueue order."""
        closed = self._closed() if self.namespace.controls else set()
        return [
            job
            for job in self._select(READY_STATES, queues)
            if job.queue not in closed and (now is None or job.next_run_at <= now)
        ]

    def next_due(self, queues: Sequence[str] | None = None) -> float | None:
        with self.lock:
            due = [job.next_run_at for job in self._claimable(queues)]
        return min(due, default=None)

    # -- leases ----------------------------------------------------------------

    def _claim_of(self, job: Job) -> Claim:
        ns = self.namespace
        return Claim(
            job,
            ns.tokens[job.id],
            len(ns.history[job.id]),
            ns.settings_version,
            dependents=job.id in ns.unsettled,
        )

    def claim(self, request: ClaimRequest) -> Claim | None:
        ns, worker_id, now = self.namespace, request.worker_id, request.now
        with self.lock:
            ready = list(enumerate(self._claimable(request.queues, now)))
            if not ready:
                return None
            _, best = min(ready, key=lambda pair: (-pair[1].priority, pair[1].next_run_at, pair[0]))
            job = best.evolve(
                state=State.PROCESSING,
                worker_id=worker_id,
                attempts=best.attempts + 1,
                lease_expires_at=request.lease_until,
                updated_at=now,
                progress=None,
            )
            ns.jobs[job.id] = job
            ns.tokens[job.id] = secrets.token_hex(16)
            ns.extensions.pop(job.id, None)
            history = ns.history[job.id]
            history.append(Attempt(job.id, len(history) + 1, worker_id, started_at=now))
            return self._claim_of(job)

    def _holds(self, job_id: str, token: str) -> bool:
        return self.namespace.tokens.get(job_id) == token

    def renew(self, job_id: str, token: str, lease_until: float) -> bool:
        with self.lock:
            if not self._holds(job_id, token):
                return False
            self.namespace.jobs[job_id] = self._job(job_id).evolve(lease_expires_at=lease_until)
            return True

    def append_output(
        self, job_id: str, token: str, attempt: int, chunks: Sequence[OutputChunk], limit: int
    ) -> bool:
        with self.lock:
            history = self.namespace.history.get(job_id)
            if not self._holds(job_id, token) or not history or history[-1].number != attempt:
                return False
            record = history[-1]
            streams = {
                "stdout": (record.stdout, record.stdout_dropped),
                "stderr": (record.stderr, record.stderr_dropped),
            }
            for chunk in chunks:
                streams[chunk.stream] = kept_tail(*streams[chunk.stream], chunk, limit)
            (stdout, stdout_dropped), (stderr, stderr_dropped) = streams.values()
            history[-1] = replace(
                record,
                stdout=stdout,
                stdout_dropped=stdout_dropped,
                stderr=stderr,
                stderr_dropped=stderr_dropped,
            )
            return True

    def set_progress(self, job_id: str, token: str, progress: Progress) -> bool:
        with self.lock:
            if not self._holds(job_id, token):
                return False
            self.namespace.jobs[job_id] = self._job(job_id).evolve(progress=progress)
            return True

    def extend_timeout(
        self, job_id: str, token: str, seconds: float, maximum: float
    ) -> float | None:
        with self.lock:
            if not self._holds(job_id, token):
                return None
            extensions = self.namespace.extensions
            before = extensions.get(job_id, 0.0)
            extensions[job_id] = total = max(before, min(before + seconds, maximum))
            return total

    def _close_attempt(self, job_id: str, **fields: Any) -> None:
        history = self.namespace.history[job_id]
        history[-1] = replace(history[-1], **fields)

    def finish(
        self,
        job_id: str,
        token: str,
        transition: Transition,
        *,
        expired_by: float | None = None,
    ) -> bool:
        ns = self.namespace
        with self.lock:
            if not self._holds(job_id, token):
                return False
            job = self._job(job_id)
            lease = job.lease_expires_at
            if expired_by is not None and (lease is None or lease > expired_by):
                return False
            del ns.tokens[job_id]
            result = transition.result
            history = ns.history[job_id]
            history[-1] = history[-1].ended(result)
            ns.jobs[job_id] = transition.applied_to(job).evolve(result=_stored(result.result))
            if transition.makes_ready():
                ns.wake()
            return True

    def release(self, held: Sequence[tuple[str, str]], now: float) -> list[bool]:
        ns = self.namespace
        released = []
        with self.lock:
            for job_id, token in held:
                released.append(self._holds(job_id, token))
                if not released[-1]:
                    continue
                del ns.tokens[job_id]
                ns.history[job_id].pop()  # it never ran
                job = self._job(job_id)
                ns.jobs[job_id] = job.evolve(
                    state=State.PENDING,
                    attempts=job.attempts - 1,
                    worker_id=None,
                    lease_expires_at=None,
                    updated_at=now,
                )
            if any(released):
                ns.wake()
        return released

    def expired(self, now: float, limit: int = 100) -> list[Claim]:
        with self.lock:
            jobs = [
                job
                for job in self._select([State.PROCESSING], None)
                if job.lease_expires_at is not None and job.lease_expires_at < now
            ]
            jobs.sort(key=lambda job: job.lease_expires_at or 0.0)
            return [self._claim_of(job) for job in jobs[:limit]]

    def leased_by(self, worker_id: str) -> list[Claim]:
        with self.lock:
            jobs = self._select([State.PROCESSING], None)
            return [self._claim_of(job) for job in jobs if job.worker_id == worker_id]

    # -- a person's operations ---------------------------------------------------

    def cancel(self, job_id: str, now: float, reason: str = CANCELLED) -> Job:
        ns = self.namespace
        with self.lock:
            job = self._job(job_id)
            if job.state in FINAL_STATES:
                raise InvalidStateError.refusing(job_id, job.state, CANCELLABLE, "cancelled")
            if ns.tokens.pop(job_id, None) is not None:
                self._close_attempt(
                    job_id, outcome=Outcome.CANCELLED, finished_at=now, error=reason
                )
            job = job.evolve(
                state=State.CANCELLED,
                worker_id=None,
                lease_expires_at=None,
                updated_at=now,
                last_error=reason,
            )
            ns.jobs[job_id] = job
            return job

    def expire(self, now: float, reason: str, limit: int = 100) -> list[Job]:
        ns = self.namespace
        with self.lock:  # an example: a scan where real backends keep an index by expiry
            due = sorted(
                (
                    job
                    for job in ns.jobs.values()
                    if job.expires_at is not None
                    and job.expires_at <= now
                    and job.attempts == 0
                    and job.state in EXPIRABLE
                ),
                key=lambda job: job.expires_at or 0.0,
            )[:limit]
            cancelled = []
            for job in due:
                job = job.evolve(state=State.CANCELLED, updated_at=now, last_error=reason)
                ns.jobs[job.id] = job
                cancelled.append(job)
            return cancelled

    def _chosen(
        self, job_ids: Sequence[str] | None, states: Sequence[State], verb: str
    ) -> list[str]:
        """``job_ids`` after checking each exists and is in ``states``; ``None``: all."""
        if job_ids is None:
            return [job.id for job in self._select(states, None)]
        for job_id in job_ids:
            job = self._job(job_id)
            if job.state not in states:
                raise InvalidStateError.refusing(job_id, job.state, states, verb)
        return list(dict.fromkeys(job_ids))

    def retry_dead(self, job_ids: Sequence[str] | None, now: float) -> list[str]:
        ns = self.namespace
        with self.lock:
            chosen = self._chosen(job_ids, [State.DEAD], "retried")
            for job_id in chosen:
                ns.jobs[job_id] = ns.jobs[job_id].evolve(
                    state=State.PENDING, attempts=0, next_run_at=now, updated_at=now
                )
                self._left_final_states(job_id)
            if chosen:
                ns.wake()
            return chosen

    def purge(
        self,
        states: Sequence[State],
        job_ids: Sequence[str] | None = None,
        *,
        updated_before: float | None = None,
        limit: int | None = None,
    ) -> int:
        ns = self.namespace
        with self.lock:
            chosen = self._chosen(job_ids, states, "purged")
            if job_ids is None and updated_before is not None:
                chosen = [i for i in chosen if ns.jobs[i].updated_at < updated_before]
            if job_ids is None and limit is not None:
                chosen.sort(key=lambda job_id: ns.jobs[job_id].updated_at)
                chosen = chosen[:limit]
            for job_id in chosen:
                for parent in ns.jobs[job_id].after:
                    if job_id in ns.dependents.get(parent, ()):
                        ns.dependents[parent].remove(job_id)
                key = ns.jobs[job_id].unique_key
                if key is not None and ns.unique.get(key) == job_id:
                    del ns.unique[key]
                del ns.jobs[job_id], ns.history[job_id]
                ns.tokens.pop(job_id, None)
                ns.extensions.pop(job_id, None)
                ns.dependents.pop(job_id, None)
                ns.unsettled.pop(job_id, None)
            return len(chosen)

    # -- dependencies ----------------------------------------------------------------

    def _left_final_states(self, job_id: str) -> None:
        """A job with dependents that left the final states needs settling at its next end."""
        if job_id in self.namespace.unsettled:
            self.namespace.unsettled[job_id] = True

    def dependents(self, job_ids: Sequence[str]) -> dict[str, list[Job]]:
        ns = self.namespace
        with self.lock:
            found = {
                job_id: [ns.jobs[child] for child in ns.dependents.get(job_id, ())]
                for job_id in job_ids
            }
        return {job_id: jobs for job_id, jobs in found.items() if jobs}

    def unsettled(self, limit: int = 100) -> list[str]:
        ns = self.namespace
        with self.lock:
            ended = [
                job_id
                for job_id, unsettled in ns.unsettled.items()
                if unsettled and ns.jobs[job_id].state in FINAL_STATES
            ]
        return ended[:limit]

    def settle(
        self, job_id: str, seen: State, moves: Sequence[DependentMove], now: float
    ) -> list[bool] | None:
        ns = self.namespace
        with self.lock:
            job = ns.jobs.get(job_id)
            if job is None or job.state is not seen:
                return None
            applied = []
            for move in moves:
                dependent = ns.jobs.get(move.job_id)
                if dependent is None or dependent.state is not move.source:
                    applied.append(False)
                    continue
                applied.append(True)
                ns.jobs[move.job_id] = dependent.evolve(
                    state=move.target, last_error=move.error, updated_at=now
                )
                if move.target not in FINAL_STATES:
                    self._left_final_states(move.job_id)
            if job.state in FINAL_STATES and job_id in ns.unsettled:
                ns.unsettled[job_id] = False
            if any(move.ready for move, done in zip(moves, applied, strict=True) if done):
                ns.wake()
            return applied

    # -- runtime settings ----------------------------------------------------------

    def load_settings(self) -> tuple[dict[str, str], int]:
        with self.lock:
            return dict(self.namespace.settings), self.namespace.settings_version

    def save_setting(self, name: str, value: str | None) -> None:
        ns = self.namespace
        with self.lock:
            if value is None:
                ns.settings.pop(name, None)
            else:
                ns.settings[name] = value
            ns.settings_version += 1

    def settings_version(self) -> int:
        with self.lock:
            return self.namespace.settings_version

    # -- queue controls ------------------------------------------------------------------

    def queue_controls(self) -> dict[str, QueueControl]:
        with self.lock:
            return dict(sorted(self.namespace.controls.items()))

    def pause_queues(self, queues: Sequence[str], reason: str | None, now: float) -> None:
        controls = self.namespace.controls
        with self.lock:
            for queue in queues:
                control = controls.get(queue, QueueControl(queue))
                controls[queue] = replace(control, paused=True, reason=reason, paused_at=now)

    def resume_queues(self, queues: Sequence[str] | None) -> list[str]:
        ns = self.namespace
        with self.lock:
            paused = sorted(queue for queue, control in ns.controls.items() if control.paused)
            chosen = paused if queues is None else list(dict.fromkeys(queues))
            resumed = [queue for queue in chosen if queue in paused]
            for queue in resumed:
                self._set_control(
                    replace(ns.controls[queue], paused=False, reason=None, paused_at=None)
                )
            if resumed:
                ns.wake()
            return resumed

    def limit_queue(self, queue: str, concurrency: int | None) -> None:
        with self.lock:
            control = self.namespace.controls.get(queue, QueueControl(queue))
            self._set_control(replace(control, concurrency=concurrency))
            self.namespace.wake()

    def _set_control(self, control: QueueControl) -> None:
        """Store ``control``, or forget it when it neither pauses nor limits."""
        if control.paused or control.concurrency is not None:
            self.namespace.controls[control.queue] = control
        else:
            self.namespace.controls.pop(control.queue, None)

    def due_since(self, queues: Sequence[str]) -> dict[str, float]:
        found: dict[str, float] = {}
        with self.lock:
            for job in self._select(READY_STATES, queues):
                found[job.queue] = min(found.get(job.queue, job.next_run_at), job.next_run_at)
        return found

    # -- plugin statistics --------------------------------------------------------------

    def add_stats(self, deltas: Mapping[str, float]) -> None:
        with self.lock:
            for name, delta in deltas.items():
                self.namespace.stats[name] = self.namespace.stats.get(name, 0.0) + delta

    def stats(self, prefix: str = "") -> dict[str, float]:
        with self.lock:
            return {k: v for k, v in self.namespace.stats.items() if k.startswith(prefix)}

    # -- worker registry -------------------------------------------------------------

    def register_worker(self, worker: WorkerInfo) -> None:
        with self.lock:
            self.namespace.workers[worker.id] = replace(worker, extra=copy.deepcopy(worker.extra))

    def heartbeat(self, worker_id: str, now: float) -> bool:
        workers = self.namespace.workers
        with self.lock:
            worker = workers.get(worker_id)
            if worker is None:  # removed meanwhile: all we know is its id
                worker = WorkerInfo(worker_id, host="", pid=0, started_at=now)
            workers[worker_id] = replace(worker, heartbeat_at=now)
            return worker.stop_requested

    def unregister_worker(self, worker_id: str) -> None:
        with self.lock:
            self.namespace.workers.pop(worker_id, None)

    def workers(self) -> list[WorkerInfo]:
        with self.lock:
            return sorted(self.namespace.workers.values(), key=lambda worker: worker.started_at)

    def request_stop(self, worker_ids: Sequence[str] | None = None) -> int:
        workers = self.namespace.workers
        with self.lock:
            asked = workers if worker_ids is None else dict.fromkeys(worker_ids)
            chosen = [worker_id for worker_id in asked if worker_id in workers]
            for worker_id in chosen:
                workers[worker_id] = replace(workers[worker_id], stop_requested=True)
            return len(chosen)

    # -- recurring schedules ----------------------------------------------------------

    def save_schedule(self, schedule: Schedule) -> bool:
        kept = self.namespace.schedules
        with self.lock:
            old = kept.get(schedule.name)
            last = (schedule.last_run_at, schedule.last_job_id) if old is None else old[2:]
            kept[schedule.name] = (codec.definition(schedule), schedule.next_run_at, *last)
            return old is None

    def get_schedule(self, name: str) -> Schedule:
        with self.lock:
            found = self.namespace.schedules.get(name)
        if found is None:
            raise NoSuchScheduleError(name)
        return codec.schedule(name, *found)

    def list_schedules(self) -> list[Schedule]:
        with self.lock:
            kept = sorted(self.namespace.schedules.items())
        return [codec.schedule(name, *found) for name, found in kept]

    def remove_schedule(self, name: str) -> bool:
        with self.lock:
            return self.namespace.schedules.pop(name, None) is not None

    def due_schedules(self, now: float, limit: int = 100) -> list[Schedule]:
        with self.lock:
            due = [(found[1], name) for name, found in self.namespace.schedules.items()]
        chosen = sorted((at, name) for at, name in due if at is not None and at <= now)
        return [self.get_schedule(name) for _, name in chosen[: max(0, limit)]]

    def next_schedule_at(self) -> float | None:
        with self.lock:
            times = [found[1] for found in self.namespace.schedules.values()]
        return min((at for at in times if at is not None), default=None)

    def advance_schedule(
        self,
        name: str,
        expected: float | None,
        next_run_at: float | None,
        last_run: tuple[float, str] | None = None,
    ) -> bool:
        kept = self.namespace.schedules
        with self.lock:
            found = kept.get(name)
            if found is None or found[1] != expected:
                return False
            text, _, *last = found
            kept[name] = (text, next_run_at, *(last_run or last))
            return True

    # -- waiting and describing -----------------------------------------------------------

    def waiter(self, worker_id: str) -> Waiter:
        return MemoryWaiter(self.namespace)

    def warnings(self) -> list[str]:
        return [PROCESS_ONLY]

    def describe(self) -> str:
        return f"memory namespace {self.namespace.name!r} in process {os.getpid()}"
