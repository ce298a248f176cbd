"""Claiming and finishing jobs: the lease operations as SQL on one connection.

The functions that write run inside a write transaction the caller opened, so a
batch of finishes and the next claims share one (``finish_and_claim_many``).
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from queuectl_core import stored
from queuectl_core.job import Outcome, State, new_token
from queuectl_core.storage import Claim, ClaimRequest, Finish, OutputChunk, kept_tail
from queuectl_sqlite.rows import ID, JOB_COLUMNS, JobRow, job_from_row, to_json
from queuectl_sqlite.schema import COUNT_ADD, PROCESSING, READY

#: Above this many queues a claim walks one index filtered by queue instead of each
#: queue's own index.
MAX_QUEUE_WALKS = 16
#: Priority levels whose jobs are all scheduled later that a claim skips with one
#: seek each before it walks the rest of the ready index in order.
LEVEL_SEEKS = 8
#: Ids per ``IN (...)`` list: old SQLite versions allow 999 parameters per statement.
IN_BATCH = 500
#: Any other row, read where it is selected.
Row = tuple[Any, ...]


#: Each controlled queue: paused or not, its concurrency limit and how many of its jobs
#: are processing (the kept count).
_CONTROLS = (
    "SELECT c.queue, c.paused_at IS NOT NULL, c.concurrency, coalesce(n.n, 0) "
    "FROM queue_controls c LEFT JOIN counts n ON n.queue = c.queue AND n.state = 'processing'"
)


def open_queues(
    conn: sqlite3.Connection, queues: Sequence[str] | None
) -> tuple[list[str] | None, list[str], dict[str, int]]:
    """What a claim may take from, by one read of the small ``queue_controls`` table
    (empty when no queue is paused or limited): ``queues`` without the closed ones
    (paused, or at their concurrency limit), the closed queues to skip when ``queues``
    is ``None`` (any queue), and the room left in each limited open queue."""
    closed: list[str] = []
    room: dict[str, int] = {}
    for queue, paused, concurrency, processing in conn.execute(_CONTROLS):
        if paused or (concurrency is not None and processing >= concurrency):
            closed.append(queue)
        elif concurrency is not None:
            room[queue] = concurrency - processing
    if queues is None or not closed:
        return (None if queues is None else list(queues)), closed, room
    skipped = set(closed)
    return [queue for queue in queues if queue not in skipped], [], room


def _not_in(skip: Sequence[str]) -> str:
    """The condition that leaves out the queues of ``skip``, or nothing."""
    return f" AND queue NOT IN ({', '.join('?' * len(skip))})" if skip else ""


def any_due(
    conn: sqlite3.Connection, queues: Sequence[str] | None, now: float, skip: Sequence[str] = ()
) -> bool:
    """Whether some ready job is due (in ``queues``, or in any queue but those of
    ``skip``): an index seek that needs no write lock."""
    if queues is None:
        sql = (
            f"SELECT 1 FROM jobs INDEXED BY jobs_due WHERE {READY} AND next_run_at <= ?"
            f"{_not_in(skip)} LIMIT 1"
        )
        return conn.execute(sql, (now, *skip)).fetchone() is not None
    sql = (
        f"SELECT 1 FROM jobs INDEXED BY jobs_due_by_queue "
        f"WHERE {READY} AND queue = ? AND next_run_at <= ? LIMIT 1"
    )
    return any(conn.execute(sql, (queue, now)).fetchone() for queue in queues)


def next_due(
    conn: sqlite3.Connection, queues: Sequence[str] | None, *, skip_closed: bool = True
) -> float | None:
    """The earliest ``next_run_at`` of a ready job in ``queues``, closed ones (paused,
    or at their concurrency limit) left out unless ``skip_closed`` is false."""
    skip: Sequence[str] = ()
    if skip_closed:
        queues, skip, _ = open_queues(conn, queues)
    if queues is None:
        sql = f"SELECT min(next_run_at) FROM jobs INDEXED BY jobs_due WHERE {READY}{_not_in(skip)}"
        due: float | None = _scalar(conn, sql, skip)
        return due
    sql = (
        "SELECT min(next_run_at) FROM jobs INDEXED BY jobs_due_by_queue "
        f"WHERE {READY} AND queue = ?"
    )
    times = [_scalar(conn, sql, [queue]) for queue in queues]
    return min((due for due in times if due is not None), default=None)


def _ready(
    conn: sqlite3.Connection,
    queues: Sequence[str] | None,
    now: float,
    limit: int,
    skip: Sequence[str],
) -> list[JobRow]:
    """Up to ``limit`` ready jobs, best first: highest priority, then earliest due,
    then enqueue order; ``queues`` ``None`` is any queue but those of ``skip``."""
    if queues is None:
        return _best_in(conn, "jobs_ready", _not_in(skip), list(skip), now, limit)
    if len(queues) > MAX_QUEUE_WALKS:
        marks = ", ".join("?" * len(queues))
        return _best_in(conn, "jobs_ready", f" AND queue IN ({marks})", list(queues), now, limit)
    found = [
        _best_in(conn, "jobs_ready_by_queue", " AND queue = ?", [queue], now, limit)
        for queue in queues
    ]
    if len(found) == 1:
        return found[0]
    return sorted(
        (row for rows in found for row in rows),
        key=lambda row: (-row.priority, row.next_run_at, row.seq),
    )[:limit]


def _best_in(
    conn: sqlite3.Connection, index: str, where: str, params: list[Any], now: float, limit: int
) -> list[JobRow]:
    """Up to ``limit`` due jobs, best first, among the ready jobs ``where`` selects,
    through ``index``.

    Ready jobs that are scheduled later sit in the index among the due ones, in
    front of every lower priority. Instead of walking past them, each priority
    level is probed with one seek, so that many jobs scheduled for later never slow
    a claim down; only after ``LEVEL_SEEKS`` levels is the rest walked in order.
    """
    jobs = f"FROM jobs INDEXED BY {index} WHERE {READY}{where}"
    level_below = f"SELECT priority {jobs} AND priority < ? ORDER BY priority DESC LIMIT 1"
    best = f"SELECT {JOB_COLUMNS}, seq, dependents {jobs} AND next_run_at <= ?"
    level: int | None = _scalar(
        conn, f"SELECT priority {jobs} ORDER BY priority DESC LIMIT 1", params
    )
    rows: list[JobRow] = []
    for _ in range(LEVEL_SEEKS):
        if level is None:
            return rows
        sql = f"{best} AND priority = ? ORDER BY next_run_at, seq LIMIT ?"
        rows += map(JobRow._make, conn.execute(sql, [*params, now, level, limit - len(rows)]))
        if len(rows) >= limit:
            return rows
        level = _scalar(conn, level_below, [*params, level])
    if level is None:
        return rows
    sql = f"{best} AND priority <= ? ORDER BY priority DESC, next_run_at, seq LIMIT ?"
    rows += map(JobRow._make, conn.execute(sql, [*params, now, level, limit - len(rows)]))
    return rows


def claim_many(
    conn: sqlite3.Connection,
    request: ClaimRequest,
    queues: Sequence[str] | None,
    skip: Sequence[str] = (),
    room: Mapping[str, int] | None = None,
) -> list[Claim]:
    """Take up to ``request.limit`` of the best ready jobs in ``queues`` (the
    request's, as SQL wants them, closed ones left out; ``None``: any queue but those
    of ``skip``), at most ``room[queue]`` of a limited queue, under new leases,
    opening their next attempts."""
    worker_id, now, lease_until, limit = (
        request.worker_id,
        request.now,
        request.lease_until,
        request.limit,
    )
    if limit < 1:
        return []
    rows = _ready(conn, queues, now, limit, skip)
    if room:
        rows = _within(rows, room)
    if not rows:
        return []
    numbers = _next_attempts(conn, [row.id for row in rows])
    version = settings_version(conn)
    claims, leased = [], []
    for row in rows:
        token = new_token()
        leased.append((worker_id, token, lease_until, now, row.seq))
        claimed = row._replace(
            state=State.PROCESSING.value,
            worker_id=worker_id,
            updated_at=now,
            lease_expires_at=lease_until,
            attempts=row.attempts + 1,
        )
        claim = Claim(
            job_from_row(claimed), token, numbers[row.id], version, row.dependents is not None
        )
        claims.append(claim)
    conn.executemany(
        "UPDATE jobs SET state = 'processing', worker_id = ?, attempts = attempts + 1, "
        "token = ?, lease_expires_at = ?, updated_at = ?, progress = NULL, "
        "timeout_extension = NULL WHERE seq = ?",
        leased,
    )
    conn.executemany(
        "INSERT INTO attempts (job_id, number, worker_id, started_at, outcome) "
        f"VALUES ({ID}, ?, ?, ?, 'running')",
        [(job_id, number, worker_id, now) for job_id, number in numbers.items()],
    )
    recount(conn, [(row.queue, row.state, State.PROCESSING.value) for row in rows])
    return claims


def _within(rows: list[JobRow], room: Mapping[str, int]) -> list[JobRow]:
    """``rows`` without those beyond the room left in their queue (a batch claim may
    then take fewer jobs than it could: never more than a limit allows)."""
    left = dict(room)
    kept = []
    for row in rows:
        if row.queue in left:
            if left[row.queue] <= 0:
                continue
            left[row.queue] -= 1
        kept.append(row)
    return kept


def _next_attempts(conn: sqlite3.Connection, job_ids: list[str]) -> dict[str, int]:
    """The number of each job's next attempt, in the order of ``job_ids``."""
    numbers = dict.fromkeys(job_ids, 1)
    sql = "SELECT job_id, max(number) + 1 FROM attempts WHERE job_id IN ({marks}) GROUP BY 1"
    numbers.update(select_in(conn, sql, job_ids))
    return numbers


def select_in(conn: sqlite3.Connection, sql: str, ids: Sequence[str]) -> Iterator[Row]:
    """The rows of ``sql``, whose ``{marks}`` stands for ``ids``, a batch of ids at a time."""
    for start in range(0, len(ids), IN_BATCH):
        chunk = ids[start : start + IN_BATCH]
        yield from conn.execute(sql.format(marks=", ".join([ID] * len(chunk))), chunk)


def finish_many(
    conn: sqlite3.Connection, finished: Sequence[Finish], expired_by: float | None = None
) -> list[bool]:
    """Apply each transition whose token still holds its job (and, with
    ``expired_by``, whose lease expired by then); whether each applied."""
    holds = _fence(conn, [(job_id, token) for job_id, token, _ in finished], expired_by)
    jobs, attempts, moves = [], [], []
    for (job_id, _, transition), held in zip(finished, holds, strict=True):
        if held is None:
            continue
        seq, queue = held
        result = transition.result
        jobs.append(
            (
                transition.state.value,
                int(transition.refund_attempt),
                result.error,
                to_json(result.result),
                result.finished_at,
                transition.next_run_at,
                seq,
            )
        )
        # A stream the result has no bytes of keeps the live output stored while it ran
        # (coalesce), and the larger dropped count (max with 0 otherwise).
        attempts.append(
            (
                result.outcome.value,
                result.finished_at,
                result.exit_code,
                result.error,
                result.stdout or None,
                result.stderr or None,
                result.stdout_dropped,
                int(not result.stdout),
                result.stderr_dropped,
                int(not result.stderr),
                result.started_at,
                job_id,
            )
        )
        moves.append((queue, "processing", transition.state.value))
    conn.executemany(
        "UPDATE jobs SET state = ?, attempts = max(attempts - ?, 0), last_error = ?, "
        "result = ?, worker_id = NULL, token = NULL, lease_expires_at = NULL, "
        "updated_at = ?, next_run_at = coalesce(?, next_run_at) WHERE seq = ?",
        jobs,
    )
    conn.executemany(
        "UPDATE attempts SET outcome = ?, finished_at = ?, exit_code = ?, error = ?, "
        "stdout = coalesce(?, stdout), stderr = coalesce(?, stderr), "
        "stdout_dropped = max(?, stdout_dropped * ?), "
        "stderr_dropped = max(?, stderr_dropped * ?), "
        f"started_at = coalesce(?, started_at) WHERE job_id = {ID} AND outcome = 'running'",
        attempts,
    )
    recount(conn, moves)
    return [held is not None for held in holds]


def append_output(
    conn: sqlite3.Connection,
    job_id: str,
    token: str,
    attempt: int,
    chunks: Sequence[OutputChunk],
    limit: int,
) -> bool:
    """Append live output to the open attempt ``attempt``, if ``token`` holds the job."""
    row = conn.execute(
        "SELECT a.stdout, a.stdout_dropped, a.stderr, a.stderr_dropped FROM jobs j "
        "JOIN attempts a ON a.job_id = j.id AND a.number = ? AND a.outcome = 'running' "
        f"WHERE j.id = {ID} AND j.token = ? AND j.{PROCESSING}",
        (attempt, job_id, token),
    ).fetchone()
    if row is None:
        return False
    streams = {
        "stdout": (stored.output(row[0]), row[1]),
        "stderr": (stored.output(row[2]), row[3]),
    }
    for chunk in chunks:
        streams[chunk.stream] = kept_tail(*streams[chunk.stream], chunk, limit)
    (stdout, stdout_dropped), (stderr, stderr_dropped) = streams["stdout"], streams["stderr"]
    conn.execute(
        "UPDATE attempts SET stdout = ?, stdout_dropped = ?, stderr = ?, stderr_dropped = ? "
        f"WHERE job_id = {ID} AND number = ?",
        (stdout, stdout_dropped, stderr, stderr_dropped, job_id, attempt),
    )
    return True


def release_many(
    conn: sqlite3.Connection, held: Sequence[tuple[str, str]], now: float
) -> list[bool]:
    """Give back each claimed job whose token still holds it and that never started."""
    holds = _fence(conn, held, None)
    back = [(job_id, found) for (job_id, _), found in zip(held, holds, strict=True) if found]
    conn.executemany(
        "UPDATE jobs SET state = 'pending', attempts = max(attempts - 1, 0), worker_id = NULL, "
        "token = NULL, lease_expires_at = NULL, updated_at = ? WHERE seq = ?",
        [(now, seq) for _, (seq, _) in back],
    )
    conn.executemany(
        f"DELETE FROM attempts WHERE job_id = {ID} AND outcome = 'running'",
        [(job_id,) for job_id, _ in back],
    )
    recount(conn, [(queue, "processing", "pending") for _, (_, queue) in back])
    return [found is not None for found in holds]


def _fence(
    conn: sqlite3.Connection, held: Sequence[tuple[str, str]], expired_by: float | None
) -> list[tuple[int, str] | None]:
    """For each (job id, token): the job's seq and queue if the token holds it (and,
    with ``expired_by``, its lease expired by then), else ``None``. A job listed
    twice is held only the first time: a change moves it out of processing."""
    sql = (
        "SELECT id, seq, token, queue, lease_expires_at FROM jobs "
        f"WHERE id IN ({{marks}}) AND {PROCESSING}"
    )
    ids = list(dict.fromkeys(job_id for job_id, _ in held))
    leased = {
        job_id: (seq, token, queue, expires)
        for job_id, seq, token, queue, expires in select_in(conn, sql, ids)
    }
    holds: list[tuple[int, str] | None] = []
    for job_id, token in held:
        found = leased.get(job_id)
        if found is None:
            holds.append(None)
            continue
        seq, holder, queue, expires = found
        if holder != token or (expired_by is not None and expires > expired_by):
            holds.append(None)
        else:
            del leased[job_id]
            holds.append((seq, queue))
    return holds


def recount(conn: sqlite3.Connection, moves: Sequence[tuple[str, str, str]]) -> None:
    """Count jobs that changed state: (queue, state before, state after) each."""
    deltas: Counter[tuple[str, str]] = Counter()
    for queue, before, after in moves:
        if before != after:
            deltas[queue, before] -= 1
            deltas[queue, after] += 1
    conn.executemany(COUNT_ADD, [(*key, n) for key, n in deltas.items() if n])


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
