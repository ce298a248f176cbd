"""The SQLite storage backend: every job of one machine in one file.

Durability: the file is in WAL mode with ``synchronous=NORMAL`` by default. A
committed change survives any crash of a queuectl process; a power loss or OS
crash may lose the last few commits but never corrupts the database. With the
``synchronous`` option ``full`` (or ``extra``) every commit is on disk when it
returns, at the cost of an fsync per commit.

Many worker and enqueuer processes share the file: every write transaction takes
the write lock up front (``BEGIN IMMEDIATE``) and is kept short; readers never
wait for writers. Idle workers sleep on a Unix socket (:mod:`queuectl_sqlite.wakeup`)
and are woken after each commit that makes a job ready.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence

from queuectl_core import stored
from queuectl_core.errors import (
    DuplicateJobError,
    InvalidStateError,
    NoSuchJobError,
    StorageError,
)
from queuectl_core.host import hostname
from queuectl_core.job import (
    CANCELLABLE,
    FINAL_STATES,
    Attempt,
    Job,
    Outcome,
    Progress,
    State,
    WorkerInfo,
)
from queuectl_core.progress import to_text as progress_text
from queuectl_core.storage import (
    CANCELLED,
    BatchFirstStorage,
    Claim,
    ClaimRequest,
    DependentMove,
    Finish,
    OutputChunk,
    QueueControl,
    Transition,
    UniqueCheck,
    Waiter,
)
from queuectl_sqlite import dependencies, leases
from queuectl_sqlite import unique as unique_keys
from queuectl_sqlite.connection import Database, rereads_text
from queuectl_sqlite.options import DEFAULT_BUSY_TIMEOUT, parse_options
from queuectl_sqlite.rows import (
    ATTEMPT_COLUMNS,
    ID,
    JOB_COLUMNS,
    WORKER_COLUMNS,
    AttemptRow,
    JobRow,
    WorkerRow,
    attempt_from_row,
    insert_jobs,
    job_from_row,
    with_progress,
    worker_from_row,
    worker_values,
)
from queuectl_sqlite.schedules import SqliteSchedules
from queuectl_sqlite.schema import COUNT_ADD, ENDED, EXPIRING, PROCESSING
from queuectl_sqlite.wakeup import Notifier, SocketWaiter, wake_dir

log = logging.getLogger(__name__)

#: Jobs changed per transaction when a person retries or purges every job in a state.
BATCH = 500
#: A job an operation found: id, queue, state.
Found = tuple[str, str, str]

_INSERT_WORKER = (
    f"INSERT OR REPLACE INTO workers ({WORKER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
#: A held job: its :class:`JobRow` (with ``seq`` and ``dependents``), then its token and
#: attempt number.
_LEASED = (
    f"SELECT {JOB_COLUMNS}, seq, dependents, token, "
    "(SELECT max(number) FROM attempts WHERE job_id = jobs.id)"
)

#: Drops the controls of queues neither paused nor limited.
_FORGET_CONTROLS = "DELETE FROM queue_controls WHERE paused_at IS NULL AND concurrency IS NULL"


class SqliteStorage(SqliteSchedules, BatchFirstStorage):
    """A queue namespace in one SQLite file, shared by every process that opens it."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        synchronous: str = "normal",
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
        create: bool = True,
    ) -> None:
        """Open the database at ``path``, created if missing unless ``create=False``
        (then ``NoQueueError``)."""
        options = parse_options(
            {"path": os.fspath(path), "synchronous": synchronous, "busy_timeout": str(busy_timeout)}
        )
        self.path = options.path
        self._db = Database(options, create=create)
        self._notifier = Notifier(wake_dir(self.path))

    @classmethod
    def from_options(cls, options: Mapping[str, str], *, create: bool = True) -> SqliteStorage:
        """Open the database named by backend options (text values, as configured)."""
        parsed = parse_options(options)
        return cls(
            parsed.path,
            synchronous=parsed.synchronous,
            busy_timeout=parsed.busy_timeout,
            create=create,
        )

    # -- jobs -----------------------------------------------------------------

    def enqueue(
        self, jobs: Sequence[Job], unique: Mapping[str, UniqueCheck] | None = None
    ) -> dict[str, str]:
        if not jobs:
            return {}
        duplicates: dict[str, str] = {}
        keyed = unique or any(job.unique_key is not None for job in jobs)
        try:
            with self._db.write() as conn:
                if keyed:
                    duplicates = unique_keys.claim(conn, jobs, unique)
                    if duplicates:
                        self._refuse_existing(conn, list(duplicates))
                        jobs = [job for job in jobs if job.id not in duplicates]
                conn.executemany(*insert_jobs(jobs))
                expiring = [(job.expires_at, job.id) for job in jobs if job.expires_at is not None]
                if expiring:  # the index of jobs that may expire (schema.VERSION_8)
                    conn.executemany(f"UPDATE jobs SET expires_at = ? WHERE id = {ID}", expiring)
                added = Counter((job.queue, job.state.value) for job in jobs)
                conn.executemany(COUNT_ADD, [(*key, n) for key, n in added.items()])
                dependencies.index(conn, jobs)
        except StorageError as exc:
            cause = exc.__cause__
            if isinstance(cause, sqlite3.IntegrityError) and "jobs.id" in str(cause):
                raise DuplicateJobError(self._first_existing(jobs)) from None
            raise
        if jobs:  # also for jobs due later: a sleeping worker re-reads when to wake up
            self._notifier.notify()
        return duplicates

    @staticmethod
    def _refuse_existing(conn: sqlite3.Connection, job_ids: Sequence[str]) -> None:
        """``DuplicateJobError`` for the first of ``job_ids`` stored already: a job whose
        id exists is refused even when its key makes it a duplicate."""
        for job_id in job_ids:
            if conn.execute(f"SELECT 1 FROM jobs WHERE id = {ID}", (job_id,)).fetchone():
                raise DuplicateJobError(job_id)

    def _first_existing(self, jobs: Sequence[Job]) -> str:
        with self._db.read() as conn:
            for job in jobs:
                if conn.execute("SELECT 1 FROM jobs WHERE id = ?", (job.id,)).fetchone():
                    return job.id
        return jobs[0].id  # deleted again meanwhile

    @rereads_text
    def get(self, job_id: str) -> Job:
        with self._db.errors():
            return self._get(self._db.connection(), job_id)

    def _get(self, conn: sqlite3.Connection, job_id: str) -> Job:
        row = conn.execute(
            f"SELECT {JOB_COLUMNS}, progress FROM jobs WHERE id = ?", (job_id,)
        ).fetchone()
        if row is None:
            raise NoSuchJobError(job_id)
        return with_progress(row)

    @rereads_text
    def attempts(self, job_id: str) -> list[Attempt]:
        with self._db.read() as conn:
            self._get(conn, job_id)
            rows = conn.execute(
                f"SELECT {ATTEMPT_COLUMNS} FROM attempts WHERE job_id = ? ORDER BY number",
                (job_id,),
            ).fetchall()
        return [attempt_from_row(AttemptRow(*row)) for row in rows]

    @rereads_text
    def list_jobs(
        self,
        *,
        states: Sequence[State] | None = None,
        queues: Sequence[str] | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[Job]:
        where: list[str] = ["1"]
        params: list[str] = []
        for column, values in (("state", states), ("queue", queues)):
            if values is None:
                continue
            if not values:
                return []
            where.append(f"{column} IN ({', '.join('?' * len(values))})")
            params.extend(str(value) for value in values)
        sql = (
            f"SELECT {JOB_COLUMNS}, progress FROM jobs WHERE {' AND '.join(where)} "
            "ORDER BY seq DESC LIMIT ? OFFSET ?"
        )
        with self._db.errors():
            rows = self._db.connection().execute(sql, [*params, limit, offset]).fetchall()
        return [with_progress(row) for row in rows]

    @rereads_text
    def counts(self) -> dict[tuple[str, State], int]:
        with self._db.errors():
            rows = self._db.connection().execute("SELECT queue, state, n FROM counts WHERE n > 0")
            return {(queue, State(state)): n for queue, state, n in rows}

    def next_due(self, queues: Sequence[str] | None = None) -> float | None:
        with self._db.errors():
            return leases.next_due(self._db.connection(), _queue_list(queues))

    # -- leases ----------------------------------------------------------------

    def renew(self, job_id: str, token: str, lease_until: float) -> bool:
        with self._db.write() as conn:
            updated = conn.execute(
                f"UPDATE jobs SET lease_expires_at = ? WHERE id = {ID} AND token = ? "
                f"AND {PROCESSING}",
                (lease_until, job_id, token),
            )
            return updated.rowcount > 0

    def append_output(
        self, job_id: str, token: str, attempt: int, chunks: Sequence[OutputChunk], limit: int
    ) -> bool:
        with self._db.write() as conn:
            return leases.append_output(conn, job_id, token, attempt, chunks, limit)

    # -- what a running attempt reports ------------------------------------------------

    def set_progress(self, job_id: str, token: str, progress: Progress) -> bool:
        with self._db.write() as conn:
            updated = conn.execute(
                f"UPDATE jobs SET progress = ? WHERE id = {ID} AND token = ? AND {PROCESSING}",
                (progress_text(progress), job_id, token),
            )
            return updated.rowcount > 0

    def extend_timeout(
        self, job_id: str, token: str, seconds: float, maximum: float
    ) -> float | None:
        held = f"WHERE id = {ID} AND token = ? AND {PROCESSING}"
        with self._db.write() as conn:  # one transaction (RETURNING needs SQLite 3.35)
            if seconds > 0:
                conn.execute(
                    "UPDATE jobs SET timeout_extension = max(coalesce(timeout_extension, 0), "
                    f"min(coalesce(timeout_extension, 0) + ?, ?)) {held}",
                    (float(seconds), float(maximum), job_id, token),
                )
            row = conn.execute(
                f"SELECT coalesce(timeout_extension, 0) FROM jobs {held}", (job_id, token)
            ).fetchone()
        return None if row is None else float(row[0])

    def finish(
        self,
        job_id: str,
        token: str,
        transition: Transition,
        *,
        expired_by: float | None = None,
    ) -> bool:
        with self._db.write() as conn:
            [applied] = leases.finish_many(conn, [(job_id, token, transition)], expired_by)
        if applied and transition.makes_ready():
            self._notifier.notify()
        return applied

    @rereads_text
    def finish_and_claim_many(
        self,
        finished: Sequence[Finish],
        request: ClaimRequest,
    ) -> tuple[list[bool], list[Claim]]:
        queues, now, limit = _queue_list(request.queues), request.now, request.limit
        if limit < 1 or queues == []:
            limit = 0
        elif not finished:
            with self._db.errors():  # idle workers look without taking the write lock
                conn = self._db.connection()
                open_queues, skip, _ = leases.open_queues(conn, queues)
                if not leases.any_due(conn, open_queues, now, skip):
                    return [], []
        if not finished and not limit:
            return [], []
        with self._db.write() as conn:
            applied = leases.finish_many(conn, finished)
            claims = []
            if limit:  # queue controls are read in the claim's own transaction: atomic
                open_queues, skip, room = leases.open_queues(conn, queues)
                due = not finished or leases.any_due(conn, open_queues, now, skip)
                if open_queues != [] and due:
                    claims = leases.claim_many(conn, request, open_queues, skip, room)
        ready = (transition.makes_ready() for (_, _, transition) in finished)
        if any(done and wakes for done, wakes in zip(applied, ready, strict=True)):
            self._notifier.notify()
        return applied, claims

    def release(self, held: Sequence[tuple[str, str]], now: float) -> list[bool]:
        if not held:
            return []
        with self._db.write() as conn:
            released = leases.release_many(conn, held, now)
        if any(released):
            self._notifier.notify()
        return released

    def expired(self, now: float, limit: int = 100) -> list[Claim]:
        return self._claims(
            "INDEXED BY jobs_lease "
            f"WHERE {PROCESSING} AND lease_expires_at < ? ORDER BY lease_expires_at LIMIT ?",
            (now, limit),
        )

    def leased_by(self, worker_id: str) -> list[Claim]:
        return self._claims(
            f"INDEXED BY jobs_worker WHERE {PROCESSING} AND worker_id = ? ORDER BY seq",
            (worker_id,),
        )

    @rereads_text
    def _claims(self, where: str, params: tuple[object, ...]) -> list[Claim]:
        with self._db.errors():
            rows = self._db.connection().execute(f"{_LEASED} FROM jobs {where}", params)
            claims = []
            for *job, token, attempt in rows:  # as _LEASED selects them
                row = JobRow(*job)
                claim = Claim(
                    job_from_row(row), token, attempt or 0, dependents=row.dependents is not None
                )
                claims.append(claim)
            return claims

    # -- a person's operations ---------------------------------------------------

    @rereads_text
    def cancel(self, job_id: str, now: float, reason: str = CANCELLED) -> Job:
        with self._db.write() as conn:
            job = self._get(conn, job_id)
            if job.state in FINAL_STATES:
                raise InvalidStateError.refusing(job_id, job.state, CANCELLABLE, "cancelled")
            if job.state is State.PROCESSING:
                leases.close_open_attempt(conn, job_id, Outcome.CANCELLED, now, reason)
            conn.execute(
                "UPDATE jobs SET state = 'cancelled', worker_id = NULL, token = NULL, "
                "lease_expires_at = NULL, updated_at = ?, last_error = ? WHERE id = ?",
                (now, reason, job_id),
            )
            leases.recount(conn, [(job.queue, job.state.value, State.CANCELLED.value)])
            return job.evolve(
                state=State.CANCELLED,
                worker_id=None,
                lease_expires_at=None,
                updated_at=now,
                last_error=reason,
            )

    @rereads_text
    def expire(self, now: float, reason: str, limit: int = 100) -> list[Job]:
        select = (
            f"SELECT {JOB_COLUMNS} FROM jobs INDEXED BY jobs_expiring WHERE {EXPIRING} "
            "AND expires_at <= ? AND attempts = 0 ORDER BY expires_at LIMIT ?"
        )
        with self._db.errors():  # most calls find none: look without the write lock
            if not self._db.connection().execute(select, (now, 1)).fetchone():
                return []
        with self._db.write() as conn:
            jobs = [job_from_row(JobRow(*row)) for row in conn.execute(select, (now, limit))]
            conn.executemany(
                "UPDATE jobs SET state = 'cancelled', updated_at = ?, last_error = ? "
                f"WHERE id = {ID}",
                [(now, reason, job.id) for job in jobs],
            )
            leases.recount(conn, [(job.queue, job.state.value, "cancelled") for job in jobs])
        return [
            job.evolve(state=State.CANCELLED, updated_at=now, last_error=reason) for job in jobs
        ]

    @rereads_text
    def retry_dead(self, job_ids: Sequence[str] | None, now: float) -> list[str]:
        def retry(conn: sqlite3.Connection, found: list[Found]) -> None:
            conn.executemany(
                "UPDATE jobs SET state = 'pending', attempts = 0, next_run_at = ?, "
                f"updated_at = ?, dependents = {dependencies.UNSETTLE} WHERE id = {ID}",
                [(now, now, job_id) for job_id, _, _ in found],
            )
            leases.recount(conn, [(queue, state, "pending") for _, queue, state in found])

        ids = self._apply(job_ids, [State.DEAD], "retried", retry)
        if ids:
            self._notifier.notify()
        return ids

    @rereads_text
    def purge(
        self,
        states: Sequence[State],
        job_ids: Sequence[str] | None = None,
        *,
        updated_before: float | None = None,
        limit: int | None = None,
    ) -> int:
        def delete(conn: sqlite3.Connection, found: list[Found]) -> None:
            params = [(job_id,) for job_id, _, _ in found]
            conn.executemany(f"DELETE FROM attempts WHERE job_id = {ID}", params)
            conn.executemany(f"DELETE FROM jobs WHERE id = {ID}", params)
            dependencies.forget(conn, params)
            unique_keys.forget(conn, params)

        if job_ids is None and limit is not None:
            return self._purge_oldest(states, updated_before, limit, delete)
        return len(self._apply(job_ids, states, "purged", delete, updated_before))

    def _purge_oldest(
        self,
        states: Sequence[State],
        updated_before: float | None,
        limit: int,
        delete: Callable[[sqlite3.Connection, list[Found]], None],
    ) -> int:
        """Delete up to ``limit`` ended jobs in ``states``, updated longest ago first,
        in one transaction: seeks in ``jobs_ended``, which holds only ended jobs."""
        select = (
            f"SELECT id, queue, state FROM jobs INDEXED BY jobs_ended WHERE {ENDED} "
            "AND state = ? AND updated_at < ? ORDER BY updated_at LIMIT ?"
        )
        cutoff = float("inf") if updated_before is None else updated_before
        ended = [
            state.value for state in dict.fromkeys(map(State, states)) if state in FINAL_STATES
        ]
        with self._db.errors():  # most sweeps find none: look without the write lock
            conn = self._db.connection()
            ended = [name for name in ended if conn.execute(select, (name, cutoff, 1)).fetchone()]
        if not ended:
            return 0
        deleted = 0
        with self._db.write() as conn:
            for state in ended:
                if deleted >= limit:
                    break
                batch = conn.execute(select, (state, cutoff, limit - deleted)).fetchall()
                delete(conn, batch)
                deleted += len(batch)
        return deleted

    def _apply(
        self,
        job_ids: Sequence[str] | None,
        states: Sequence[State],
        verb: str,
        change: Callable[[sqlite3.Connection, list[Found]], None],
        updated_before: float | None = None,
    ) -> list[str]:
        """``change`` the given jobs (all or nothing), or every job in ``states``.

        Every job in a state changes in batches, oldest first, one short transaction
        each, so that a purge of a million jobs never stalls the workers.
        """
        if job_ids is not None:
            ids = _distinct(job_ids)
            with self._db.write() as conn:
                change(conn, self._check_states(conn, ids, states, verb))
            return ids
        select = (
            "SELECT id, queue, state FROM jobs WHERE state = ? AND updated_at < ? "
            "ORDER BY seq LIMIT ?"
        )
        cutoff = float("inf") if updated_before is None else updated_before
        changed: list[str] = []
        for state in dict.fromkeys(states):
            while True:
                with self._db.write() as conn:
                    batch = conn.execute(select, (State(state).value, cutoff, BATCH)).fetchall()
                    change(conn, batch)
                changed += [job_id for job_id, _, _ in batch]
                if len(batch) < BATCH:
                    break
        return changed

    def _check_states(
        self, conn: sqlite3.Connection, ids: Iterable[str], allowed: Sequence[State], verb: str
    ) -> list[Found]:
        """All or nothing: raise for the first unknown id or a job in another state."""
        found = []
        for job_id in ids:
            row = conn.execute("SELECT queue, state FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if row is None:
                raise NoSuchJobError(job_id)
            queue, stored_state = row
            state = stored.acts_as(stored_state)  # one queuectl does not know: as shown
            if state not in allowed:
                raise InvalidStateError.refusing(job_id, state, allowed, verb)
            found.append((job_id, queue, stored_state))
        return found

    # -- dependencies ---------------------------------------------------------------

    @rereads_text
    def dependents(self, job_ids: Sequence[str]) -> dict[str, list[Job]]:
        with self._db.read() as conn:
            return dependencies.dependents(conn, job_ids)

    def unsettled(self, limit: int = 100) -> list[str]:
        with self._db.errors():
            return dependencies.unsettled(self._db.connection(), limit)

    def settle(
        self, job_id: str, seen: State, moves: Sequence[DependentMove], now: float
    ) -> list[bool] | None:
        with self._db.write() as conn:
            applied = dependencies.settle(conn, job_id, seen, moves, now)
        if applied and any(move.ready for move, done in zip(moves, applied, strict=True) if done):
            self._notifier.notify()
        return applied

    # -- runtime settings ----------------------------------------------------------

    @rereads_text
    def load_settings(self) -> tuple[dict[str, str], int]:
        with self._db.read() as conn:
            values = dict(conn.execute("SELECT name, value FROM settings").fetchall())
            return values, leases.settings_version(conn)

    def save_setting(self, name: str, value: str | None) -> None:
        with self._db.write() as conn:
            if value is None:
                conn.execute("DELETE FROM settings WHERE name = ?", (name,))
            else:
                conn.execute(
                    "INSERT INTO settings (name, value) VALUES (?, ?) "
                    "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                    (name, value),
                )
            conn.execute("UPDATE meta SET value = value + 1 WHERE name = 'settings_version'")

    def settings_version(self) -> int:
        with self._db.errors():
            return leases.settings_version(self._db.connection())

    # -- queue controls ------------------------------------------------------------------

    @rereads_text
    def queue_controls(self) -> dict[str, QueueControl]:
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT queue, paused_at, reason, concurrency FROM queue_controls ORDER BY queue"
            ).fetchall()
        return {
            queue: QueueControl(queue, paused_at is not None, reason, paused_at, concurrency)
            for queue, paused_at, reason, concurrency in rows
        }

    def limit_queue(self, queue: str, concurrency: int | None) -> None:
        with self._db.write() as conn:
            conn.execute(
                "INSERT INTO queue_controls (queue, concurrency) VALUES (?, ?) "
                "ON CONFLICT (queue) DO UPDATE SET concurrency = excluded.concurrency",
                (queue, concurrency),
            )
            conn.execute(_FORGET_CONTROLS)
        self._notifier.notify()

    def due_since(self, queues: Sequence[str]) -> dict[str, float]:
        with self._db.read() as conn:
            times = {queue: leases.next_due(conn, [queue], skip_closed=False) for queue in queues}
        return {queue: due for queue, due in times.items() if due is not None}

    def pause_queues(self, queues: Sequence[str], reason: str | None, now: float) -> None:
        with self._db.write() as conn:
            conn.executemany(
                "INSERT INTO queue_controls (queue, paused_at, reason) VALUES (?, ?, ?) "
                "ON CONFLICT (queue) DO UPDATE SET paused_at = excluded.paused_at, "
                "reason = excluded.reason",
                [(queue, now, reason) for queue in _distinct(queues)],
            )

    def resume_queues(self, queues: Sequence[str] | None) -> list[str]:
        with self._db.write() as conn:
            rows = conn.execute(
                "SELECT queue FROM queue_controls WHERE paused_at IS NOT NULL ORDER BY queue"
            )
            paused = {queue for (queue,) in rows}
            resumed = sorted(paused) if queues is None else _distinct(queues)
            resumed = [queue for queue in resumed if queue in paused]
            conn.executemany(
                "UPDATE queue_controls SET paused_at = NULL, reason = NULL WHERE queue = ?",
                [(queue,) for queue in resumed],
            )
            conn.execute(_FORGET_CONTROLS)
        if resumed:
            self._notifier.notify()
        return resumed

    # -- plugin statistics --------------------------------------------------------------

    def add_stats(self, deltas: Mapping[str, float]) -> None:
        if not deltas:
            return
        with self._db.write() as conn:
            conn.executemany(
                "INSERT INTO stats (name, value) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET value = value + excluded.value",
                deltas.items(),
            )

    def stats(self, prefix: str = "") -> dict[str, float]:
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT name, value FROM stats WHERE substr(name, 1, ?) = ?",
                (len(prefix), prefix),
            )
            return dict(rows.fetchall())

    # -- worker registry -------------------------------------------------------------

    def register_worker(self, worker: WorkerInfo) -> None:
        with self._db.write() as conn:
            conn.execute(_INSERT_WORKER, worker_values(worker))

    def heartbeat(self, worker_id: str, now: float) -> bool:
        self._db.trim_wal()  # every worker's periodic call: keeps the log bounded
        with self._db.write() as conn:
            sql = "UPDATE workers SET heartbeat_at = ? WHERE id = ?"
            if conn.execute(sql, (now, worker_id)).rowcount == 0:
                # removed meanwhile: the heartbeat comes from the worker's own process
                anew = WorkerInfo(worker_id, hostname(), os.getpid(), (), now, now)
                conn.execute(_INSERT_WORKER, worker_values(anew))
                return False
            row = conn.execute("SELECT stop_requested FROM workers WHERE id = ?", (worker_id,))
            return bool(row.fetchone()[0])

    def unregister_worker(self, worker_id: str) -> None:
        with self._db.write() as conn:
            conn.execute("DELETE FROM workers WHERE id = ?", (worker_id,))

    @rereads_text
    def workers(self) -> list[WorkerInfo]:
        with self._db.errors():
            rows = self._db.connection().execute(
                f"SELECT {WORKER_COLUMNS} FROM workers ORDER BY started_at, rowid"
            )
            return [worker_from_row(WorkerRow(*row)) for row in rows]

    def request_stop(self, worker_ids: Sequence[str] | None = None) -> int:
        with self._db.write() as conn:
            sql = "UPDATE workers SET stop_requested = 1"
            if worker_ids is None:
                return conn.execute(sql).rowcount
            params = [(worker_id,) for worker_id in _distinct(worker_ids)]
            return conn.executemany(f"{sql} WHERE id = ?", params).rowcount

    # -- waiting and closing ------------------------------------------------------------

    def waiter(self, worker_id: str) -> Waiter:
        try:
            return SocketWaiter(self._notifier.directory, worker_id)
        except OSError as exc:
            log.warning("wake-ups disabled, idle workers will poll: %s", exc)
            return Waiter()

    def describe(self) -> str:
        return self.path

    def close(self) -> None:
        self._db.close()
        self._notifier.close()


def _distinct(values: Iterable[str]) -> list[str]:
    """The values without repeats, in their first order."""
    return list(dict.fromkeys(values))


def _queue_list(queues: Sequence[str] | None) -> list[str] | None:
    return None if queues is None else _distinct(queues)
