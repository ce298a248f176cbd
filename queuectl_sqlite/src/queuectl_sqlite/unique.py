"""Unique keys: the ``unique_keys`` table as SQL on one connection (see ``VERSION_7``
in :mod:`queuectl_sqlite.schema`). The functions run inside a write transaction the
caller opened."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence

from queuectl_core.job import Job
from queuectl_core.storage import UniqueCheck
from queuectl_sqlite.rows import ID

_HOLDER = f"SELECT state, created_at FROM jobs WHERE id = {ID}"
_NAME = (
    f"INSERT INTO unique_keys (key, job_id) VALUES (?, {ID}) "
    "ON CONFLICT (key) DO UPDATE SET job_id = excluded.job_id"
)


def claim(
    conn: sqlite3.Connection, jobs: Sequence[Job], checks: Mapping[str, UniqueCheck] | None
) -> dict[str, str]:
    """Name each job with a key under it, in order, unless its check finds the key's job
    (stored, or accepted earlier in the batch) still holding it: the duplicates,
    ``{new id: existing id}`` (see ``JobStore.enqueue``)."""
    duplicates: dict[str, str] = {}
    accepted: dict[str, Job] = {}
    for job in jobs:
        if job.unique_key is None:
            continue
        check = checks.get(job.id) if checks else None
        if check is not None:
            holder = _holder(conn, job.unique_key, accepted)
            if holder is not None and check.holds(*holder[1:]):
                duplicates[job.id] = holder[0]
                continue
        conn.execute(_NAME, (job.unique_key, job.id))
        accepted[job.id] = job
    return duplicates


def _holder(
    conn: sqlite3.Connection, key: str, accepted: Mapping[str, Job]
) -> tuple[str, str, float] | None:
    """The id, state and creation time of the job ``key`` names, if it exists."""
    row = conn.execute("SELECT job_id FROM unique_keys WHERE key = ?", (key,)).fetchone()
    if row is None:
        return None
    job = accepted.get(row[0])
    if job is not None:
        return job.id, job.state.value, job.created_at
    found = conn.execute(_HOLDER, (row[0],)).fetchone()
    return None if found is None else (row[0], found[0], found[1])


def forget(conn: sqlite3.Connection, job_ids: Sequence[tuple[str]]) -> None:
    """Drop the keys that name purged jobs."""
    conn.executemany(f"DELETE FROM unique_keys WHERE job_id = {ID}", job_ids)
