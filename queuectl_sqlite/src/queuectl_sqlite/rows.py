"""Converting between table rows and the job model.

JSON values (payload, result, worker queues and extra) are stored as compact JSON
text, with ``None`` as SQL NULL so that it round-trips as ``None``. Reading never
fails on a row's values: what cannot be read is a placeholder, named in
``Job.unreadable`` (see :mod:`queuectl_core.stored`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, NamedTuple

from queuectl_core import job_options, progress, stored
from queuectl_core.job import Attempt, Job, WorkerInfo


class JobRow(NamedTuple):
    """A ``jobs`` row as ``JOB_COLUMNS`` selects it (``seq`` only where selected after
    them), read by name: Python and SQL cannot silently disagree on a position."""

    id: str
    command: str
    type: str
    payload: str | None
    queue: str
    priority: int
    max_retries: int
    timeout: float | None
    state: str
    attempts: int
    created_at: float
    updated_at: float
    next_run_at: float
    worker_id: str | None
    lease_expires_at: float | None
    last_error: str | None
    result: str | None
    options: str | None
    seq: int = 0  # the enqueue order, when selected
    dependents: int | None = None  # whether jobs wait for it, when selected after seq


class AttemptRow(NamedTuple):
    """An ``attempts`` row as ``ATTEMPT_COLUMNS`` selects it, read by name."""

    job_id: str
    number: int
    worker_id: str
    started_at: float
    outcome: str
    finished_at: float | None
    exit_code: int | None
    error: str | None
    stdout: bytes | None
    stderr: bytes | None
    stdout_dropped: int
    stderr_dropped: int


class WorkerRow(NamedTuple):
    """A ``workers`` row as ``WORKER_COLUMNS`` selects it, read by name."""

    id: str
    host: str
    pid: int
    queues: str
    started_at: float
    heartbeat_at: float
    stop_requested: int
    extra: str


#: The columns of a job, in :class:`JobRow` order (``seq`` and ``dependents`` apart).
JOB_COLUMNS = ", ".join(JobRow._fields[:-2])
#: The columns a newly enqueued job sets; the rest (lease, error, result) start NULL.
NEW_JOB_COLUMNS = (
    "id, command, type, payload, queue, priority, max_retries, timeout, state, attempts, "
    "created_at, updated_at, next_run_at, options"
)
ATTEMPT_COLUMNS = ", ".join(AttemptRow._fields)
WORKER_COLUMNS = ", ".join(WorkerRow._fields)
#: The parameter of a job id in SQL: an id read from bytes that are not UTF-8 (a
#: :class:`~queuectl_core.stored.NotUtf8`) binds as those bytes, a BLOB (see
#: :mod:`queuectl_sqlite.connection`), which the cast turns back into the TEXT stored;
#: other ids are TEXT already. Indexes on ids are still used.
ID = "CAST(? AS TEXT)"


def to_json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, separators=(",", ":"))


def from_json(text: str | None) -> Any:
    return stored.json_value(text)


def job_values(job: Job) -> tuple[Any, ...]:
    """The job's values in ``JOB_COLUMNS`` order."""
    return (
        job.id, job.command, job.type, to_json(job.payload), job.queue, job.priority,
        job.max_retries, job.timeout, job.state.value, job.attempts, job.created_at,
        job.updated_at, job.next_run_at, job.worker_id, job.lease_expires_at,
        job.last_error, to_json(job.result), job_options.to_text(job),
    )  # fmt: skip


def insert_jobs(jobs: Sequence[Job]) -> tuple[str, list[tuple[Any, ...]]]:
    """The ``INSERT`` statement and its rows for ``jobs``.

    Jobs as enqueued bind 14 values, not 18: binding the four NULLs cost about a
    sixth of SQLite's insert time (1.1 of 7.3 µs a row).
    """
    if any(
        job.worker_id is not None
        or job.lease_expires_at is not None
        or job.last_error is not None
        or job.result is not None
        for job in jobs
    ):
        return _INSERT_ANY, [job_values(job) for job in jobs]
    return _INSERT_NEW, [new_job_values(job) for job in jobs]


def new_job_values(job: Job) -> tuple[Any, ...]:
    """The job's values in ``NEW_JOB_COLUMNS`` order."""
    return (
        job.id, job.command, job.type, to_json(job.payload), job.queue, job.priority,
        job.max_retries, job.timeout, job.state.value, job.attempts, job.created_at,
        job.updated_at, job.next_run_at, job_options.to_text(job),
    )  # fmt: skip


_INSERT_ANY = f"INSERT INTO jobs ({JOB_COLUMNS}) VALUES ({', '.join('?' * 18)})"
_INSERT_NEW = f"INSERT INTO jobs ({NEW_JOB_COLUMNS}) VALUES ({', '.join('?' * 14)})"


def job_from_row(row: JobRow) -> Job:
    """A job from its row."""
    job = stored.readable(
        Job(
            id=row.id,
            command=row.command,
            type=row.type,
            payload=from_json(row.payload),
            queue=row.queue,
            priority=row.priority,
            max_retries=row.max_retries,
            timeout=row.timeout,
            state=stored.state(row.state),
            attempts=row.attempts,
            created_at=row.created_at,
            updated_at=row.updated_at,
            next_run_at=row.next_run_at,
            worker_id=row.worker_id,
            lease_expires_at=row.lease_expires_at,
            last_error=row.last_error,
            result=from_json(row.result),
        )
    )
    return job if row.options is None else job_options.applied(job, row.options)


def with_progress(row: Sequence[Any]) -> Job:
    """A job from ``JOB_COLUMNS`` then its ``progress`` column (JSON text, see
    :func:`queuectl_core.progress.to_text`)."""
    job = job_from_row(JobRow(*row[:-1]))
    stored_progress = progress.from_text(row[-1])
    return job if stored_progress is None else job.evolve(progress=stored_progress)


def attempt_from_row(row: AttemptRow) -> Attempt:
    """An attempt from its row."""
    return stored.readable_attempt(
        Attempt(
            job_id=row.job_id,
            number=row.number,
            worker_id=row.worker_id,
            started_at=row.started_at,
            outcome=stored.outcome(row.outcome),
            finished_at=row.finished_at,
            exit_code=row.exit_code,
            error=row.error,
            stdout=stored.output(row.stdout),
            stderr=stored.output(row.stderr),
            stdout_dropped=row.stdout_dropped,
            stderr_dropped=row.stderr_dropped,
        )
    )


def worker_values(worker: WorkerInfo) -> tuple[Any, ...]:
    """The worker's values in ``WORKER_COLUMNS`` order."""
    return (
        worker.id, worker.host, worker.pid, json.dumps(list(worker.queues)),
        worker.started_at, worker.heartbeat_at, int(worker.stop_requested),
        json.dumps(worker.extra, separators=(",", ":")),
    )  # fmt: skip


def worker_from_row(row: WorkerRow) -> WorkerInfo:
    """A worker from its row."""
    return WorkerInfo(
        id=row.id,
        host=row.host,
        pid=row.pid,
        queues=tuple(json.loads(row.queues)),
        started_at=row.started_at,
        heartbeat_at=row.heartbeat_at,
        stop_requested=bool(row.stop_requested),
        extra=json.loads(row.extra),
    )
