"""The database schema, versioned with ``PRAGMA user_version``.

``jobs.seq`` (the rowid) is the enqueue order. ``counts`` holds the number of jobs
per (queue, state), kept exact by a trigger on deletes, and for inserts and state
changes by the statements that make them (``COUNT_ADD``): a trigger per row
tripled the cost of a bulk enqueue and was a third of the cost of claiming and
finishing a job. So ``counts()`` never scans ``jobs``.
Ready jobs (pending or failed) sit in small partial indexes: claiming and finding
the next due time are index seeks however many jobs are finished or scheduled.
"""

from __future__ import annotations

import sqlite3

from queuectl_core.errors import ConfigError

#: The exact predicate of the partial indexes on ready jobs. A query must repeat it
#: word for word for SQLite to use those indexes.
READY = "state IN ('pending', 'failed')"
PROCESSING = "state = 'processing'"

_COUNT_UP = """
    INSERT INTO counts (queue, state, n) VALUES (NEW.queue, NEW.state, 1)
    ON CONFLICT (queue, state) DO UPDATE SET n = n + 1;"""
_COUNT_DOWN = """
    UPDATE counts SET n = n - 1 WHERE queue = OLD.queue AND state = OLD.state;"""

#: Version 1: jobs, attempts, settings, workers and the per-(queue, state) counts.
VERSION_1 = (
    """CREATE TABLE jobs (
        seq INTEGER PRIMARY KEY,
        id TEXT UNIQUE NOT NULL,
        command TEXT NOT NULL,
        type TEXT NOT NULL,
        payload TEXT,
        queue TEXT NOT NULL,
        priority INTEGER NOT NULL,
        max_retries INTEGER,
        timeout REAL,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        next_run_at REAL NOT NULL,
        worker_id TEXT,
        lease_expires_at REAL,
        last_error TEXT,
        result TEXT,
        token TEXT
    )""",
    """CREATE TABLE attempts (
        job_id TEXT NOT NULL,
        number INTEGER NOT NULL,
        worker_id TEXT NOT NULL,
        started_at REAL NOT NULL,
        outcome TEXT NOT NULL,
        finished_at REAL,
        exit_code INTEGER,
        error TEXT,
        stdout BLOB NOT NULL DEFAULT x'',
        stderr BLOB NOT NULL DEFAULT x'',
        stdout_dropped INTEGER NOT NULL DEFAULT 0,
        stderr_dropped INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (job_id, number)
    )""",
    """CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID""",
    """CREATE TABLE meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID""",
    """INSERT INTO meta (name, value) VALUES ('settings_version', 0)""",
    """CREATE TABLE workers (
        id TEXT UNIQUE NOT NULL,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        queues TEXT NOT NULL,
        started_at REAL NOT NULL,
        heartbeat_at REAL NOT NULL,
        stop_requested INTEGER NOT NULL,
        extra TEXT NOT NULL
    )""",
    """CREATE TABLE counts (
        queue TEXT NOT NULL,
        state TEXT NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (queue, state)
    ) WITHOUT ROWID""",
    f"CREATE TRIGGER jobs_counted AFTER INSERT ON jobs BEGIN {_COUNT_UP} END",
    f"CREATE TRIGGER jobs_uncounted AFTER DELETE ON jobs BEGIN {_COUNT_DOWN} END",
    f"""CREATE TRIGGER jobs_recounted AFTER UPDATE OF state, queue ON jobs
        WHEN OLD.state IS NOT NEW.state OR OLD.queue IS NOT NEW.queue
        BEGIN {_COUNT_DOWN} {_COUNT_UP} END""",
    # claim, any queue: best first
    f"CREATE INDEX jobs_ready ON jobs (priority DESC, next_run_at, seq) WHERE {READY}",
    # claim, one queue (several queues: the best of one seek per queue)
    f"""CREATE INDEX jobs_ready_by_queue ON jobs (queue, priority DESC, next_run_at, seq)
        WHERE {READY}""",
    # next_due, and the "anything due at all?" check that keeps idle claims read-only
    f"CREATE INDEX jobs_due ON jobs (next_run_at) WHERE {READY}",
    f"CREATE INDEX jobs_due_by_queue ON jobs (queue, next_run_at) WHERE {READY}",
    f"CREATE INDEX jobs_lease ON jobs (lease_expires_at) WHERE {PROCESSING}",
    f"CREATE INDEX jobs_worker ON jobs (worker_id) WHERE {PROCESSING}",
    # list_jobs by state, newest first (index entries end with the rowid, seq)
    "CREATE INDEX jobs_state ON jobs (state)",
)

#: Version 2: counters that plugins add to (``Storage.add_stats``); inserts are
#: counted by ``enqueue`` (one statement per queue, not a trigger per row).
VERSION_2 = (
    "CREATE TABLE stats (name TEXT PRIMARY KEY, value REAL NOT NULL) WITHOUT ROWID",
    "DROP TRIGGER jobs_counted",
)
#: Version 3: state changes are counted by the statements that make them.
VERSION_3 = ("DROP TRIGGER jobs_recounted",)
#: Version 4: a job's options (expiry, dependencies, unique key, cwd, env, retry
#: rules) as one JSON text, NULL for a job without any (see queuectl_core.job_options).
VERSION_4 = ("ALTER TABLE jobs ADD COLUMN options TEXT",)
#: Version 5: recurring schedules: the definition as one JSON text (see
#: queuectl_core.schedules.codec) and what firing changes; the index finds the
#: schedule due next (paused ones have no next_run_at).
VERSION_5 = (
    """CREATE TABLE schedules (
        name TEXT PRIMARY KEY,
        definition TEXT NOT NULL,
        next_run_at REAL,
        last_run_at REAL,
        last_job_id TEXT
    ) WITHOUT ROWID""",
    "CREATE INDEX schedules_due ON schedules (next_run_at) WHERE next_run_at IS NOT NULL",
)
#: The exact predicate of the partial index on ended jobs whose dependents are
#: unsettled (see ``VERSION_6``); a query must repeat it word for word.
UNSETTLED = "dependents = 1 AND state IN ('completed', 'dead', 'cancelled')"
#: Version 6: jobs that wait for others. ``dependencies`` indexes each job's ``after``
#: (a row per job it waits for); ``jobs.dependents`` is NULL for a job that no job
#: waits for, else 1 while its dependents will need settling when it ends (or need
#: it now, if it has ended: then it is in the partial index ``jobs_unsettled``) and
#: 0 once settled. A finish, a cancel or a purge thus need no extra statement.
VERSION_6 = (
    "ALTER TABLE jobs ADD COLUMN dependents INTEGER",
    """CREATE TABLE dependencies (
        parent TEXT NOT NULL,
        child TEXT NOT NULL,
        PRIMARY KEY (parent, child)
    ) WITHOUT ROWID""",
    "CREATE INDEX dependencies_child ON dependencies (child)",
    f"CREATE INDEX jobs_unsettled ON jobs (seq) WHERE {UNSETTLED}",
)
#: Version 7: unique keys (``Job.unique_key``): each key and the job stored last with
#: it, which ``enqueue`` reads and writes in its transaction; ``purge`` finds the keys of
#: the jobs it deletes by ``unique_keys_job``.
VERSION_7 = (
    "CREATE TABLE unique_keys (key TEXT PRIMARY KEY, job_id TEXT NOT NULL) WITHOUT ROWID",
    "CREATE INDEX unique_keys_job ON unique_keys (job_id)",
)
#: The exact predicate of the partial index on jobs that may expire (see
#: ``VERSION_8``); a query must repeat it word for word.
EXPIRING = "expires_at IS NOT NULL AND state IN ('pending', 'waiting')"
#: The exact predicate of the partial index on ended jobs by state and end time.
ENDED = "state IN ('completed', 'dead', 'cancelled')"
#: Version 8: expiry and retention. ``jobs.expires_at`` copies the option of that name
#: for the index of jobs that may expire, NULL (and out of the index) for a job without
#: one, so only jobs with an expiry pay for it; ``jobs_ended`` finds the jobs a
#: retention sweep purges, by state and end time, without scanning the jobs it keeps.
VERSION_8 = (
    "ALTER TABLE jobs ADD COLUMN expires_at REAL",
    """UPDATE jobs SET expires_at = json_extract(options, '$.expires_at')
        WHERE options IS NOT NULL AND json_valid(options)
        AND json_type(options, '$.expires_at') IN ('integer', 'real')""",
    f"CREATE INDEX jobs_expiring ON jobs (expires_at) WHERE {EXPIRING}",
    f"CREATE INDEX jobs_ended ON jobs (state, updated_at) WHERE {ENDED}",
)
#: Version 9: queue controls (``QueueControls``): a row per queue a person paused
#: (``paused_at`` set) or limited; a claim reads the paused ones in its transaction,
#: a small table that is empty when nothing is paused.
VERSION_9 = (
    """CREATE TABLE queue_controls (
        queue TEXT PRIMARY KEY,
        paused_at REAL,
        reason TEXT,
        concurrency INTEGER
    ) WITHOUT ROWID""",
)
#: Version 10: what a running attempt reports of itself (see
#: :class:`~queuectl_core.storage.ProgressStore`): ``progress`` (JSON text, kept after
#: the attempt) and ``timeout_extension`` (seconds), both cleared by a claim.
VERSION_10 = (
    "ALTER TABLE jobs ADD COLUMN progress TEXT",
    "ALTER TABLE jobs ADD COLUMN timeout_extension REAL",
)
#: Adds ``n`` (negative: takes) jobs to a (queue, state) count.
COUNT_ADD = """INSERT INTO counts (queue, state, n) VALUES (?, ?, ?)
    ON CONFLICT (queue, state) DO UPDATE SET n = n + excluded.n"""

#: The statements that bring a database from the version before each key to it.
MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: VERSION_1,
    2: VERSION_2,
    3: VERSION_3,
    4: VERSION_4,
    5: VERSION_5,
    6: VERSION_6,
    7: VERSION_7,
    8: VERSION_8,
    9: VERSION_9,
    10: VERSION_10,
}
SCHEMA_VERSION = max(MIGRATIONS)


def ensure_schema(conn: sqlite3.Connection, path: str) -> None:
    """Create or upgrade the schema; safe when many processes open at once.

    ``conn`` must be in autocommit mode. Raises ``ConfigError`` for a database of
    another program or of a newer queuectl.
    """
    if _version(conn) == SCHEMA_VERSION:
        return
    conn.execute("BEGIN IMMEDIATE")  # the loser of a creation race waits here
    try:
        version = _version(conn)
        if version == 0 and conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            raise ConfigError(f"{path} is a SQLite database of another program")
        if version > SCHEMA_VERSION:
            raise ConfigError(
                f"{path} was written by a newer queuectl (schema {version}; "
                f"this one knows {SCHEMA_VERSION}); upgrade queuectl-sqlite"
            )
        for step in range(version + 1, SCHEMA_VERSION + 1):
            for statement in MIGRATIONS[step]:
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _version(conn: sqlite3.Connection) -> int:
    version: int = conn.execute("PRAGMA user_version").fetchone()[0]
    return version
