"""Jobs that wait for others: the ``dependencies`` table and ``jobs.dependents`` as SQL
on one connection (see ``VERSION_6`` in :mod:`queuectl_sqlite.schema`).

The functions that write run inside a write transaction the caller opened.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from queuectl_core.errors import NoSuchJobError
from queuectl_core.job import FINAL_STATES, Job, State
from queuectl_core.storage import DependentMove
from queuectl_sqlite.leases import recount, select_in
from queuectl_sqlite.rows import ID, JOB_COLUMNS, JobRow, job_from_row
from queuectl_sqlite.schema import UNSETTLED

#: ``jobs.dependents`` of a job leaving the final states: one with dependents needs
#: settling again at its next end.
UNSETTLE = "CASE WHEN dependents IS NULL THEN NULL ELSE 1 END"


def index(conn: sqlite3.Connection, jobs: Sequence[Job]) -> None:
    """Index the ``after`` of newly inserted ``jobs``; ``NoSuchJobError`` for the first
    id one names that no row has (the caller's transaction then rolls back)."""
    edges = [(parent, job.id) for job in jobs for parent in job.after]
    if not edges:
        return
    conn.executemany("INSERT OR IGNORE INTO dependencies (parent, child) VALUES (?, ?)", edges)
    for parent in dict.fromkeys(parent for parent, _ in edges):
        # 1: settled when it ends, or now if it has (an ended job is then unsettled)
        flagged = conn.execute(f"UPDATE jobs SET dependents = 1 WHERE id = {ID}", (parent,))
        if flagged.rowcount == 0:
            raise NoSuchJobError(parent)


def dependents(conn: sqlite3.Connection, job_ids: Sequence[str]) -> dict[str, list[Job]]:
    """The jobs that wait for each of ``job_ids``, oldest first; ids without any left out."""
    sql = (
        f"SELECT parent, {JOB_COLUMNS}, seq FROM dependencies JOIN jobs ON jobs.id = child "
        "WHERE parent IN ({marks}) ORDER BY seq"
    )
    found: dict[str, list[Job]] = {}
    for parent, *row in select_in(conn, sql, list(dict.fromkeys(job_ids))):
        found.setdefault(parent, []).append(job_from_row(JobRow(*row)))
    return found


def unsettled(conn: sqlite3.Connection, limit: int) -> list[str]:
    rows = conn.execute(
        f"SELECT id FROM jobs INDEXED BY jobs_unsettled WHERE {UNSETTLED} ORDER BY seq LIMIT ?",
        (limit,),
    )
    return [job_id for (job_id,) in rows]


def settle(
    conn: sqlite3.Connection,
    job_id: str,
    seen: State,
    moves: Sequence[DependentMove],
    now: float,
) -> list[bool] | None:
    """Apply ``moves`` if ``job_id`` is still in ``seen`` (see ``Dependencies.settle``)."""
    row = conn.execute(f"SELECT state FROM jobs WHERE id = {ID}", (job_id,)).fetchone()
    if row is None or row[0] != seen.value:
        return None
    applied, counted = [], []
    for move in moves:
        found = conn.execute(
            f"SELECT queue, state FROM jobs WHERE id = {ID}", (move.job_id,)
        ).fetchone()
        applied.append(found is not None and found[1] == move.source.value)
        if not applied[-1]:
            continue
        flag = "dependents" if move.target in FINAL_STATES else UNSETTLE
        conn.execute(
            f"UPDATE jobs SET state = ?, last_error = ?, updated_at = ?, dependents = {flag} "
            f"WHERE id = {ID}",
            (move.target.value, move.error, now, move.job_id),
        )
        counted.append((found[0], move.source.value, move.target.value))
    recount(conn, counted)
    if seen in FINAL_STATES:
        conn.execute(
            f"UPDATE jobs SET dependents = 0 WHERE id = {ID} AND dependents = 1", (job_id,)
        )
    return applied


def forget(conn: sqlite3.Connection, job_ids: Sequence[tuple[str]]) -> None:
    """Drop purged jobs from the index, as the jobs waited for and as the waiting ones."""
    conn.executemany(f"DELETE FROM dependencies WHERE parent = {ID}", job_ids)
    conn.executemany(f"DELETE FROM dependencies WHERE child = {ID}", job_ids)
