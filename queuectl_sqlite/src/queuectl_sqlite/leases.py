"""Claiming and finishing jobs: the lease operations as SQL on one connection.

The functions that write run inside a write transaction the caller opened, so a
finish and the next claim can share one (``finish_and_claim``).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from typing import Any

from queuectl_core.job import READY_STATES, Outcome, State, new_token
from queuectl_core.storage import Claim, Transition
from queuectl_sqlite.rows import JOB_COLUMNS, job_from_row, to_json
from queuectl_sqlite.schema import PROCESSING, READY

#: Above this many queues a claim walks one index filtered by queue instead of each
#: queue's own index.
MAX_QUEUE_WALKS = 16
#: Priority levels whose jobs are all scheduled later that a claim skips with one
#: seek each before it walks the rest of the ready index in order.
LEVEL_SEEKS = 8
#: A claim's candidate: (priority, next_run_at, seq, then ``JOB_COLUMNS``).
Row = tuple[Any, ...]


def any_due(conn: sqlite3.Connection, queues: Sequence[str] | None, now: float) -> bool:
    """Whether some ready job is due: an index seek that needs no write lock."""
    if queues is None:
        sql = f"SELECT 1 FROM jobs INDEXED BY jobs_due WHERE {READY} AND next_run_at <= ? LIMIT 1"
        return conn.execute(sql, (now,)).fetchone() is not None
    sql = (
        f"SELECT 1 FROM jobs INDEXED BY jobs_due_by_queue "
        f"WHERE {READY} AND queue = ? AND next_run_at <= ? LIMIT 1"
    )
    return any(conn.execute(sql, (queue, now)).fetchone() for queue in queues)


def next_due(conn: sqlite3.Connection, queues: Sequence[str] | None) -> float | None:
    """The earliest ``next_run_at`` of a ready job in ``queues``."""
    if queues is None:
        due: float | None = _scalar(
            conn, f"SELECT min(next_run_at) FROM jobs INDEXED BY jobs_due WHERE {READY}"
        )
        return due
    sql = (
        "SELECT min(next_run_at) FROM jobs INDEXED BY jobs_due_by_queue "
        f"WHERE {READY} AND queue = ?"
    )
    times = [_scalar(conn, sql, [queue]) for queue in queues]
    return min((due for due in times if due is not None), default=None)


def _best_ready(conn: sqlite3.Connection, queues: Sequence[str] | None, now: float) -> Row | None:
    """The best ready job: highest priority, then earliest due, then enqueue order."""
    if queues is None:
        return _best_in(conn, "jobs_ready", "", [], now)
    if len(queues) > MAX_QUEUE_WALKS:
        marks = ", ".join("?" * len(queues))
        return _best_in(conn, "jobs_ready", f" AND queue IN ({marks})", list(queues), now)
    found = [
        _best_in(conn, "jobs_ready_by_queue", " AND queue = ?", [queue], now) for queue in queues
    ]
    return min(
        (row for row in found if row), key=lambda row: (-row[0], row[1], row[2]), default=None
    )


def _best_in(
    conn: sqlite3.Connection, index: str, where: str, params: list[Any], now: float
) -> Row | None:
    """The best due job among the ready jobs ``where`` selects, through ``index``.

    Ready jobs that are scheduled later sit in the index among the due ones, in
    front of every lower priority. Instead of walking past them, each priority
    level is probed with one seek, so that many jobs scheduled for later never slow
    a claim down; only after ``LEVEL_SEEKS`` such levels is the rest walked in order.
    """
    jobs = f"FROM jobs INDEXED BY {index} WHERE {READY}{where}"
    level_below = f"SELECT priority {jobs} AND priority < ? ORDER BY priority DESC LIMIT 1"
    best = f"SELECT priority, next_run_at, seq, {JOB_COLUMNS} {jobs} AND next_run_at <= ?"
    level: int | None = _scalar(
        conn, f"SELECT priority {jobs} ORDER BY priority DESC LIMIT 1", params
    )
    for _ in range(LEVEL_SEEKS):
        if level is None:
            return None
        sql = f"{best} AND priority = ? ORDER BY next_run_at, seq LIMIT 1"
        row: Row | None = conn.execute(sql, [*params, now, level]).fetchone()
        if row is not None:
            return row
        level = _scalar(conn, level_below, [*params, level])
    if level is None:
        return None
    sql = f"{best} AND priority <= ? ORDER BY priority DESC, next_run_at, seq LIMIT 1"
    row = conn.execute(sql, [*params, now, level]).fetchone()
    return row


def claim(
    conn: sqlite3.Connection,
    worker_id: str,
    queues: Sequence[str] | None,
    now: float,
    lease_until: float,
) -> Claim | None:
    """Take the best ready job under a new lease and open its next attempt."""
    row = _best_ready(conn, queues, now)
    if row is None:
        return None
    seq, job = row[2], job_from_row(row[3:])
    token = new_token()
    conn.execute(
        "UPDATE jobs SET state = 'processing', worker_id = ?, attempts = attempts + 1, "
        "token = ?, lease_expires_at = ?, updated_at = ? WHERE seq = ?",
        (worker_id, token, lease_until, now, seq),
    )
    number: int = _scalar(
        conn, "SELECT coalesce(max(number), 0) + 1 FROM attempts WHERE job_id = ?", [job.id]
    )
    conn.execute(
        "INSERT INTO attempts (job_id, number, worker_id, started_at, outcome) "
        "VALUES (?, ?, ?, ?, ?)",
        (job.id, number, worker_id, now, Outcome.RUNNING.value),
    )
    claimed = job.evolve(
        state=State.PROCESSING,
        worker_id=worker_id,
        attempts=job.attempts + 1,
        lease_expires_at=lease_until,
        updated_at=now,
    )
    return Claim(claimed, token, number, settings_version(conn))


def finish(
    conn: sqlite3.Connection,
    job_id: str,
    token: str,
    transition: Transition,
    expired_by: float | None,
) -> bool:
    """Apply ``transition`` if ``token`` still holds the job; whether it applied."""
    result = transition.result
    fence = "id = ? AND token = ? AND " + PROCESSING
    params: list[Any] = [job_id, token]
    if expired_by is not None:
        fence += " AND lease_expires_at <= ?"
        params.append(expired_by)
    updated = conn.execute(
        "UPDATE jobs SET state = ?, attempts = max(attempts - ?, 0), last_error = ?, "
        "result = ?, worker_id = NULL, token = NULL, lease_expires_at = NULL, "
        f"updated_at = ?, next_run_at = coalesce(?, next_run_at) WHERE {fence}",
        [
            transition.state.value,
            int(transition.refund_attempt),
            result.error,
            to_json(result.result),
            result.finished_at,
            transition.next_run_at,
            *params,
        ],
    )
    if updated.rowcount == 0:
        return False
    conn.execute(
        "UPDATE attempts SET outcome = ?, finished_at = ?, exit_code = ?, error = ?, "
        "stdout = ?, stderr = ?, stdout_dropped = ?, stderr_dropped = ? "
        "WHERE job_id = ? AND outcome = 'running'",
        (
            result.outcome.value,
            result.finished_at,
            result.exit_code,
            result.error,
            result.stdout,
            result.stderr,
            result.stdout_dropped,
            result.stderr_dropped,
            job_id,
        ),
    )
    return True


def makes_ready(transition: Transition) -> bool:
    """Whether a job moved by ``transition`` can be claimed right away."""
    if transition.state not in READY_STATES:
        return False
    return transition.next_run_at is None or transition.next_run_at <= time.time()


def close_open_attempt(
    conn: sqlite3.Connection, job_id: str, outcome: Outcome, now: float, error: str
) -> None:
    """End the job's running attempt (if any) with ``outcome``."""
    conn.execute(
        "UPDATE attempts SET outcome = ?, finished_at = ?, error = ? "
        "WHERE job_id = ? AND outcome = 'running'",
        (outcome.value, now, error, job_id),
    )


def settings_version(conn: sqlite3.Connection) -> int:
    version: int = _scalar(conn, "SELECT value FROM meta WHERE name = 'settings_version'")
    return version


def _scalar(conn: sqlite3.Connection, sql: str, params: Sequence[Any] = ()) -> Any:
    """The first column of the first row, or ``None`` without rows."""
    row = conn.execute(sql, params).fetchone()
    return None if row is None else row[0]
