"""Converting between table rows and the job model.

JSON values (payload, result, worker queues and extra) are stored as compact JSON
text, with ``None`` as SQL NULL so that it round-trips as ``None``. Reading never
fails on a row's values: what cannot be read is a placeholder, named in
``Job.unreadable`` (see :mod:`queuectl_core.stored`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from queuectl_core import stored
from queuectl_core.job import Attempt, Job, WorkerInfo

JOB_COLUMNS = (
    "id, command, type, payload, queue, priority, max_retries, timeout, state, attempts, "
    "created_at, updated_at, next_run_at, worker_id, lease_expires_at, last_error, result"
)
#: The columns a newly enqueued job sets; the rest (lease, error, result) start NULL.
NEW_JOB_COLUMNS = (
    "id, command, type, payload, queue, priority, max_retries, timeout, state, attempts, "
    "created_at, updated_at, next_run_at"
)
#: Positions in ``JOB_COLUMNS`` of the values a claim changes.
QUEUE, STATE, ATTEMPTS, UPDATED_AT, WORKER_ID, LEASE_EXPIRES_AT = 4, 8, 9, 11, 13, 14
ATTEMPT_COLUMNS = (
    "job_id, number, worker_id, started_at, outcome, finished_at, exit_code, error, "
    "stdout, stderr, stdout_dropped, stderr_dropped"
)
WORKER_COLUMNS = "id, host, pid, queues, started_at, heartbeat_at, stop_requested, extra"
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
        job.last_error, to_json(job.result),
    )  # fmt: skip


def insert_jobs(jobs: Sequence[Job]) -> tuple[str, list[tuple[Any, ...]]]:
    """The ``INSERT`` statement and its rows for ``jobs``.

    Jobs as enqueued bind 13 values, not 17: binding the four NULLs cost about a
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
        job.updated_at, job.next_run_at,
    )  # fmt: skip


_INSERT_ANY = f"INSERT INTO jobs ({JOB_COLUMNS}) VALUES ({', '.join('?' * 17)})"
_INSERT_NEW = f"INSERT INTO jobs ({NEW_JOB_COLUMNS}) VALUES ({', '.join('?' * 13)})"


def job_from_row(row: tuple[Any, ...]) -> Job:
    """A job from a row selected with ``JOB_COLUMNS``."""
    (
        job_id, command, job_type, payload, queue, priority, max_retries, timeout, state,
        attempts, created_at, updated_at, next_run_at, worker_id, lease_expires_at,
        last_error, result,
    ) = row  # fmt: skip
    return stored.readable(
        Job(
            id=job_id,
            command=command,
            type=job_type,
            payload=from_json(payload),
            queue=queue,
            priority=priority,
            max_retries=max_retries,
            timeout=timeout,
            state=stored.state(state),
            attempts=attempts,
            created_at=created_at,
            updated_at=updated_at,
            next_run_at=next_run_at,
            worker_id=worker_id,
            lease_expires_at=lease_expires_at,
            last_error=last_error,
            result=from_json(result),
        )
    )


def attempt_from_row(row: tuple[Any, ...]) -> Attempt:
    """An attempt from a row selected with ``ATTEMPT_COLUMNS``."""
    (
        job_id, number, worker_id, started_at, outcome, finished_at, exit_code, error,
        stdout, stderr, stdout_dropped, stderr_dropped,
    ) = row  # fmt: skip
    return stored.readable_attempt(
        Attempt(
            job_id=job_id,
            number=number,
            worker_id=worker_id,
            started_at=started_at,
            outcome=stored.outcome(outcome),
            finished_at=finished_at,
            exit_code=exit_code,
            error=error,
            stdout=stored.output(stdout),
            stderr=stored.output(stderr),
            stdout_dropped=stdout_dropped,
            stderr_dropped=stderr_dropped,
        )
    )


def worker_values(worker: WorkerInfo) -> tuple[Any, ...]:
    """The worker's values in ``WORKER_COLUMNS`` order."""
    return (
        worker.id, worker.host, worker.pid, json.dumps(list(worker.queues)),
        worker.started_at, worker.heartbeat_at, int(worker.stop_requested),
        json.dumps(worker.extra, separators=(",", ":")),
    )  # fmt: skip


def worker_from_row(row: tuple[Any, ...]) -> WorkerInfo:
    """A worker from a row selected with ``WORKER_COLUMNS``."""
    worker_id, host, pid, queues, started_at, heartbeat_at, stop_requested, extra = row
    return WorkerInfo(
        id=worker_id,
        host=host,
        pid=pid,
        queues=tuple(json.loads(queues)),
        started_at=started_at,
        heartbeat_at=heartbeat_at,
        stop_requested=bool(stop_requested),
        extra=json.loads(extra),
    )
