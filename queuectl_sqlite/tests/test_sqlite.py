"""What the SQLite backend promises beyond the storage contract: real files, real
processes, file modes, WAL, wake-ups across processes, cheap counts, clear errors."""

from __future__ import annotations

import multiprocessing
import os
import random
import re
import socket
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from queuectl_sqlite.leases import LEVEL_SEEKS
from queuectl_sqlite.plugin import open_storage
from queuectl_sqlite.storage import SqliteStorage
from queuectl_sqlite.wakeup import MAX_SOCKET_PATH, Notifier, SocketWaiter, wake_dir

from queuectl_core import plugins
from queuectl_core.config import Location, resolve
from queuectl_core.errors import ConfigError
from queuectl_core.job import AttemptResult, Outcome, State, WorkerInfo
from queuectl_core.storage import Claim, ClaimRequest, Transition
from queuectl_core.testing import JobFactory
from queuectl_core.testing.contract.base import C, D, F, P, R, X
from queuectl_sqlite import schema
from queuectl_sqlite import storage as storage_module

spawn = multiprocessing.get_context("spawn")


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "q.db"


@pytest.fixture
def storage(db: Path) -> Iterator[SqliteStorage]:
    opened = SqliteStorage(db)
    yield opened
    opened.close()


def done(outcome: Outcome = Outcome.SUCCEEDED, **fields: object) -> AttemptResult:
    return AttemptResult(outcome, time.time(), **fields)  # type: ignore[arg-type]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# -- the file --------------------------------------------------------------------


def test_files_are_private_and_in_wal_mode(tmp_path: Path, job: JobFactory) -> None:
    path = tmp_path / "new" / "dir" / "q.db"
    storage = SqliteStorage(path)
    storage.enqueue([job() for _ in range(20)])
    claim = storage.claim(ClaimRequest("w", None, time.time(), time.time() + 30))
    assert claim is not None
    files = sorted(p.name for p in path.parent.iterdir())
    assert files == ["q.db", "q.db-shm", "q.db-wal"]
    assert {name: mode(path.parent / name) for name in files} == dict.fromkeys(files, 0o600)
    assert mode(path.parent) == 0o700
    with sqlite3.connect(path) as other:
        assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    storage.close()


def test_reopening_keeps_everything(db: Path, job: JobFactory) -> None:
    first = SqliteStorage(db)
    first.enqueue([job("a", payload={"n": [1, None]}, max_retries=0), job("b")])
    claim = first.claim(ClaimRequest("w1", None, time.time(), time.time() + 30))
    assert claim is not None
    assert first.finish(claim.job.id, claim.token, Transition(C, done(result=[1, "x"])))
    first.save_setting("max_retries", "7")
    first.register_worker(WorkerInfo("w1", "host", 1, ("a",), 1.0, 2.0))
    before = (first.list_jobs(), first.attempts("a"), first.load_settings(), first.workers())
    first.close()

    again = SqliteStorage(db)
    assert (again.list_jobs(), again.attempts("a"), again.load_settings(), again.workers()) == (
        before
    )
    assert again.get("a").max_retries == 0 and again.get("b").max_retries is None
    assert again.counts() == {("default", C): 1, ("default", P): 1}
    again.close()


@pytest.fixture
def job() -> JobFactory:
    return JobFactory()


def test_jobs_enqueued_with_any_field_set_keep_every_field(
    storage: SqliteStorage, job: JobFactory
) -> None:
    # new jobs bind 13 columns; a job with lease, error or result set binds all 17
    fresh = job("fresh", payload=[1])
    worn = job("worn", last_error="boom", result={"r": 1}, worker_id="w9", lease_expires_at=9.5)
    storage.enqueue([fresh])
    storage.enqueue([worn])
    assert storage.get("fresh") == fresh
    assert storage.get("worn") == worn


# -- errors are one line ---------------------------------------------------------------


def test_a_path_that_cannot_be_a_database_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    (tmp_path / "garbage.db").write_bytes(b"this is not a database at all, " * 100)
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE songs (title TEXT)")
    cases = {
        tmp_path / "file" / "q.db": "cannot open database",
        tmp_path: "is a directory",
        tmp_path / "garbage.db": "is not a SQLite database",
        other: "of another program",
    }
    for path, message in cases.items():
        with pytest.raises(ConfigError, match=message) as caught:
            SqliteStorage(path)
        assert "\n" not in str(caught.value)


def test_a_version_1_database_is_upgraded_in_place(db: Path, job: JobFactory) -> None:
    with sqlite3.connect(db, isolation_level=None) as conn:
        for statement in schema.VERSION_1:
            conn.execute(statement)
        conn.execute("PRAGMA user_version = 1")
    storage = SqliteStorage(db)
    storage.enqueue([job("kept")])
    storage.add_stats({"x": 1.5})
    storage.close()
    reopened = SqliteStorage(db)
    assert reopened.get("kept").id == "kept"
    assert reopened.stats() == {"x": 1.5}
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION


def test_a_database_of_a_newer_version_is_refused(db: Path) -> None:
    SqliteStorage(db).close()
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(ConfigError, match="newer queuectl"):
        SqliteStorage(db)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"colour": "red"}, "unknown sqlite option 'colour'; known options: path, synchronous"),
        ({"synchronous": "sometimes"}, "'synchronous' must be one of normal, full, extra"),
        ({"busy_timeout": "soon"}, "'busy_timeout' must be a number of seconds"),
        ({"busy_timeout": "-1"}, "'busy_timeout' must be a number of seconds"),
        ({"path": " "}, "'path' must name a database file"),
    ],
)
def test_bad_options_are_config_errors(db: Path, options: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        open_storage({"path": str(db), **options})


@pytest.mark.parametrize("synchronous", ["normal", "FULL", "extra"])
def test_options_are_applied(db: Path, synchronous: str) -> None:
    storage = open_storage({"path": str(db), "synchronous": synchronous, "busy_timeout": "2.5"})
    assert isinstance(storage, SqliteStorage)
    conn = storage._db.connection()
    levels = {"normal": 1, "full": 2, "extra": 3}
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == levels[synchronous.lower()]
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 2500
    storage.close()


# -- the plugin --------------------------------------------------------------------------


@pytest.fixture
def fresh_plugins() -> Iterator[None]:
    plugins.reset()
    yield
    plugins.reset()


def test_the_plugin_registers_the_default_backend(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_plugins: None
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    spec = plugins.backends()["sqlite"]
    assert spec.location_option == "path"
    expected = tmp_path / "data" / "queuectl" / "queuectl.db"
    assert spec.default_options == {"path": str(expected)}
    storage = Location("sqlite").open()
    assert storage.describe() == str(expected) and expected.exists()
    storage.close()
    location = resolve(backend="sqlite", db=str(tmp_path / "elsewhere.db"), environ={})
    storage = location.open()
    assert storage.describe() == str(tmp_path / "elsewhere.db")
    storage.close()


def test_importing_the_plugin_does_not_load_sqlite() -> None:
    code = "import sys, queuectl_sqlite.plugin; print('sqlite3' in sys.modules)"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert output.stdout.strip() == "False", output.stderr


# -- counts and query plans --------------------------------------------------------------


def test_counts_match_the_jobs_after_every_kind_of_change(
    storage: SqliteStorage, job: JobFactory
) -> None:
    now = time.time()
    storage.enqueue([job(f"j{n}", queue=f"q{n % 3}", priority=n % 4) for n in range(60)])
    claims: list[Claim] = []
    while len(claims) < 40 and (claim := storage.claim(ClaimRequest("w", None, now, now + 30))):
        claims.append(claim)
    transitions = [
        Transition(C, done()),
        Transition(F, done(Outcome.FAILED), next_run_at=now + 100),
        Transition(D, done(Outcome.FAILED)),
        Transition(P, done(Outcome.INTERRUPTED), refund_attempt=True),
    ]
    for number, claim in enumerate(claims[:32]):
        assert storage.finish(claim.job.id, claim.token, transitions[number % 4])
    storage.cancel(claims[35].job.id, now)  # processing
    storage.cancel(storage.list_jobs(states=[P], limit=1)[0].id, now)
    storage.retry_dead([claims[2].job.id], now)
    storage.purge([C], [claims[0].job.id])
    storage.purge([D])
    conn = storage._db.connection()
    grouped = conn.execute("SELECT queue, state, count(*) FROM jobs GROUP BY queue, state")
    expected = {(queue, State(state)): n for queue, state, n in grouped}
    assert storage.counts() == expected
    assert {state for _, state in expected} == {P, R, C, F, X}


def test_retrying_and_purging_every_job_in_a_state_goes_in_batches(
    storage: SqliteStorage, job: JobFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(storage_module, "BATCH", 4)
    now = time.time()
    storage.enqueue([job(f"j{n:02d}", max_retries=0) for n in range(18)])
    while claim := storage.claim(ClaimRequest("w", None, now, now + 30)):
        assert storage.finish(claim.job.id, claim.token, Transition(D, done(Outcome.FAILED)))
    storage.enqueue([job("still-pending")])
    assert storage.retry_dead(None, now) == [f"j{n:02d}" for n in range(18)]
    assert storage.counts() == {("default", P): 19}
    assert storage.purge([P, P, C]) == 19
    assert storage.counts() == {}
    conn = storage._db.connection()
    assert conn.execute("SELECT count(*) FROM attempts").fetchone() == (0,)


def test_counts_match_the_jobs_after_batches_and_releases(
    storage: SqliteStorage, job: JobFactory
) -> None:
    now = time.time()
    storage.enqueue([job(f"j{n}", queue=f"q{n % 3}", priority=n % 4) for n in range(60)])
    claims = storage.claim_many(ClaimRequest("w", None, now, now + 30, 40))
    transitions = [
        Transition(C, done()),
        Transition(F, done(Outcome.FAILED), next_run_at=now + 100),
        Transition(D, done(Outcome.FAILED)),
        Transition(P, done(Outcome.INTERRUPTED), refund_attempt=True),
    ]
    ends = [(c.job.id, c.token, transitions[n % 4]) for n, c in enumerate(claims[:24])]
    ends += [ends[0], (claims[30].job.id, "stale token", transitions[0])]  # not applied
    applied, more = storage.finish_and_claim_many(ends, ClaimRequest("w", ["q1"], now, now + 30, 5))
    assert applied == [True] * 24 + [False, False]
    assert len(more) == 5
    released = storage.release([(c.job.id, c.token) for c in [*claims[24:32], *more]], now)
    assert released == [True] * 13
    conn = storage._db.connection()
    grouped = conn.execute("SELECT queue, state, count(*) FROM jobs GROUP BY queue, state")
    assert storage.counts() == {(queue, State(state)): n for queue, state, n in grouped}


def test_a_version_2_database_is_upgraded_and_counts_stay_exact(db: Path, job: JobFactory) -> None:
    with sqlite3.connect(db, isolation_level=None) as conn:
        for statement in (*schema.VERSION_1, *schema.VERSION_2):
            conn.execute(statement)
        conn.execute("PRAGMA user_version = 2")
        conn.execute(
            "INSERT INTO jobs (id, command, type, queue, priority, state, attempts, "
            "created_at, updated_at, next_run_at) VALUES ('old', 'true', 'shell', 'default', "
            "0, 'pending', 0, 1, 1, 1)"
        )
        conn.execute(schema.COUNT_ADD, ("default", "pending", 1))
    storage = SqliteStorage(db)
    storage.enqueue([job("new")])
    claims = storage.claim_many(ClaimRequest("w", None, time.time(), time.time() + 30, 5))
    assert [claim.job.id for claim in claims] == ["old", "new"]
    assert storage.counts() == {("default", R): 2}
    assert storage.finish("old", claims[0].token, Transition(C, done()))
    assert storage.counts() == {("default", R): 1, ("default", C): 1}
    storage.close()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
        triggers = conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        assert [name for (name,) in triggers] == ["jobs_uncounted"]


def test_a_batch_is_one_write_transaction_that_seeks_indexes(
    storage: SqliteStorage, job: JobFactory
) -> None:
    storage.enqueue([job(f"j{n}", queue=f"q{n % 2}") for n in range(300)])
    now = time.time()
    conn = storage._db.connection()
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    try:
        claims = storage.claim_many(ClaimRequest("w", None, now, now + 30, 64))
        ends = [(claim.job.id, claim.token, Transition(C, done())) for claim in claims]
        applied, claims = storage.finish_and_claim_many(
            ends, ClaimRequest("w", ["q1"], now, now + 30, 64)
        )
        released = storage.release([(claim.job.id, claim.token) for claim in claims], now)
        assert storage.claim_many(ClaimRequest("w", ["nothing here"], now, now + 30, 64)) == []
    finally:
        conn.set_trace_callback(None)
    assert (len(applied), len(released)) == (64, 64) and all(applied) and all(released)
    assert statements.count("BEGIN IMMEDIATE") == 3  # the idle claim took no write lock
    for sql in {sql for sql in statements if sql.startswith(("SELECT", "UPDATE", "DELETE"))}:
        plan = " / ".join(row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}"))
        assert not re.search(r"\bSCAN (jobs|attempts)\b(?! USING)", plan), (sql, plan)


def plans(storage: SqliteStorage, action: Callable[[], object]) -> dict[str, str]:
    """The query plan of every SELECT on jobs that ``action`` ran."""
    conn = storage._db.connection()
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    try:
        action()
    finally:
        conn.set_trace_callback(None)
    return {
        sql: " / ".join(row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}"))
        for sql in statements
        if sql.startswith("SELECT") and "FROM jobs" in sql
    }


def full_scan(plan: str) -> bool:
    """Whether a plan reads the whole jobs table (an ordered index walk is fine)."""
    return any(step == "SCAN jobs" for step in plan.split(" / "))


@pytest.mark.parametrize(
    ("queues", "indexes"),
    [
        (None, {"jobs_due", "jobs_ready"}),
        (["q1"], {"jobs_due_by_queue", "jobs_ready_by_queue"}),
        (["q1", "q2"], {"jobs_due_by_queue", "jobs_ready_by_queue"}),
    ],
)
def test_claim_and_next_due_seek_the_ready_indexes(
    storage: SqliteStorage, job: JobFactory, queues: list[str] | None, indexes: set[str]
) -> None:
    now = time.time()
    storage.enqueue([job(f"j{n}", queue=f"q{n % 3}", priority=n % 5) for n in range(300)])
    claimed = plans(storage, lambda: storage.claim(ClaimRequest("w", queues, now, now + 30)))
    due = plans(storage, lambda: storage.next_due(queues))
    found = claimed | due
    assert found
    for sql, plan in found.items():
        assert "USING INDEX jobs_" in plan or "USING COVERING INDEX jobs_" in plan, (sql, plan)
        assert not full_scan(plan), plan
        if queues is None or len(queues) == 1:
            assert "TEMP B-TREE" not in plan, plan
    plan_text = " / ".join(found.values())
    used = {index for index in indexes if re.search(rf"INDEX {index}\b", plan_text)}
    assert used == indexes


def test_finding_expired_and_leased_jobs_uses_indexes(
    storage: SqliteStorage, job: JobFactory
) -> None:
    storage.enqueue([job(f"j{n}") for n in range(50)])
    found = plans(storage, lambda: storage.expired(time.time()))
    found |= plans(storage, lambda: storage.leased_by("w"))
    assert any("jobs_lease" in plan for plan in found.values())
    assert any("jobs_worker" in plan for plan in found.values())
    assert not any(full_scan(plan) for plan in found.values())


def test_claims_follow_priority_then_due_time_then_enqueue_order(
    storage: SqliteStorage, job: JobFactory
) -> None:
    rng = random.Random(7)
    now = time.time()
    later = [  # whole priority levels scheduled later, in front of every due job
        job(f"later{n:02d}", queue=f"q{n % 20}", priority=100 + n, next_run_at=now + 60)
        for n in range(3 * LEVEL_SEEKS)
    ]
    mixed = [
        job(
            f"j{n:03d}",
            queue=f"q{rng.randrange(20)}",
            priority=rng.randrange(-3, 13),
            next_run_at=now + rng.choice([-50.0, -1.0, 0.0, 1.0, 1000.0]),
        )
        for n in range(300)
    ]
    storage.enqueue(later + mixed)
    order = {j.id: (-j.priority, j.next_run_at, n) for n, j in enumerate(later + mixed)}
    waiting = [j for j in mixed if j.next_run_at <= now]
    everyone = [f"q{n}" for n in range(20)]
    for queues in (["q1"], ["q2", "q3", "q4"], ["q5", "q5", "q6"], everyone[:18], None):
        expected = sorted(
            (j.id for j in waiting if queues is None or j.queue in queues), key=order.__getitem__
        )
        claimed = []
        while claim := storage.claim(ClaimRequest("w", queues, now, now + 30)):
            claimed.append(claim.job.id)
        assert claimed == expected
        waiting = [j for j in waiting if j.id not in claimed]
    assert waiting == []
    assert storage.counts()[("q0", P)] > 0  # the jobs scheduled later stay


# -- output ----------------------------------------------------------------------------


def test_output_that_is_not_utf8_round_trips(storage: SqliteStorage, job: JobFactory) -> None:
    storage.enqueue([job("a")])
    claim = storage.claim(ClaimRequest("w", None, time.time(), time.time() + 30))
    assert claim is not None
    stdout, stderr = bytes(range(256)) * 4, b"\xc3\x28 \xa0\xa1 \xf0\x28\x8c\xbc"
    result = done(Outcome.FAILED, stdout=stdout, stderr=stderr, stdout_dropped=5)
    assert storage.finish("a", claim.token, Transition(D, result))
    (attempt,) = SqliteStorage(storage.path).attempts("a")
    assert (attempt.stdout, attempt.stderr, attempt.stdout_dropped) == (stdout, stderr, 5)


# -- many processes ----------------------------------------------------------------------


def enqueue_and_work(path: str, number: int, total: int) -> list[str]:
    """One process of the concurrency test: enqueue its share while working."""
    storage = SqliteStorage(path)
    make = JobFactory()
    queues = None if number % 2 else ["a", "b", "c"]
    finished: list[str] = []
    claim: Claim | None = None

    def step() -> Claim | None:
        now = time.time()
        if claim is None:
            return storage.claim(ClaimRequest(f"w{number}", queues, now, now + 120))
        finished.append(claim.job.id)
        success = Transition(C, AttemptResult(Outcome.SUCCEEDED, now))
        if len(finished) % 3:
            applied, following = storage.finish_and_claim(
                claim.job.id,
                claim.token,
                success,
                ClaimRequest(f"w{number}", queues, now, now + 120),
            )
        else:
            applied = storage.finish(claim.job.id, claim.token, success)
            following = storage.claim(ClaimRequest(f"w{number}", queues, now, now + 120))
        assert applied, claim.job.id
        return following

    share = [f"p{number}-{n:04d}" for n in range(total // 4)]
    for start in range(0, len(share), 10):
        storage.enqueue(
            [make(job_id, queue="ab"[n % 2]) for n, job_id in enumerate(share[start : start + 10])]
        )
        for _ in range(8):
            claim = step()
    waiter = storage.waiter(f"w{number}")
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        claim = step()
        if claim is None:
            if sum(n for (_, state), n in storage.counts().items() if state is C) >= total:
                break
            waiter.wait(0.05)
    waiter.close()
    storage.close()
    return finished


def test_processes_enqueue_and_work_concurrently_without_locking_errors(db: Path) -> None:
    total = 2000
    with spawn.Pool(4) as pool:  # each process creates the fresh database itself
        results = pool.starmap(enqueue_and_work, [(str(db), n, total) for n in range(4)])
    completed = [job_id for result in results for job_id in result]
    assert len(completed) == len(set(completed)) == total
    storage = SqliteStorage(db)
    assert storage.counts() == {("a", C): total // 2, ("b", C): total // 2}
    jobs = storage.list_jobs(limit=total)
    assert {j.id for j in jobs} == set(completed)
    assert {(j.state, j.attempts) for j in jobs} == {(C, 1)}
    conn = storage._db.connection()
    assert conn.execute("SELECT count(*) FROM attempts WHERE outcome = 'succeeded'").fetchone() == (
        total,
    )
    storage.close()


def use_inherited(storage: SqliteStorage, job_id: str) -> None:
    storage.enqueue([JobFactory()(job_id)])


def test_an_instance_keeps_working_in_a_forked_child(
    storage: SqliteStorage, job: JobFactory
) -> None:
    storage.enqueue([job("before")])
    child = multiprocessing.get_context("fork").Process(
        target=use_inherited, args=(storage, "from-child")
    )
    child.start()
    child.join(60)
    assert child.exitcode == 0
    assert {j.id for j in storage.list_jobs()} == {"before", "from-child"}


def test_threads_have_their_own_connections_closed_when_they_end(
    storage: SqliteStorage, job: JobFactory
) -> None:
    seen: list[sqlite3.Connection] = []

    def use() -> None:
        storage.enqueue([job()])
        seen.append(storage._db.connection())

    for _ in range(5):
        thread = threading.Thread(target=use)
        thread.start()
        thread.join()
    assert len({id(conn) for conn in seen}) == 5
    assert storage._db.connection() not in seen
    with pytest.raises(sqlite3.ProgrammingError):  # the ended threads' were closed
        seen[0].execute("SELECT 1")
    assert len(storage.list_jobs()) == 5


# -- wake-ups ----------------------------------------------------------------------------


def sleep_on(path: str, ready: object, report: object) -> None:
    """Wait for work in a process of its own; report how long the wait took."""
    storage = SqliteStorage(path)
    waiter = storage.waiter("sleeper")
    ready.set()  # type: ignore[attr-defined]
    started = time.monotonic()
    waiter.wait(5.0)
    report.put(time.monotonic() - started)  # type: ignore[attr-defined]
    waiter.close()
    storage.close()


def test_a_waiter_in_another_process_wakes_on_enqueue(
    storage: SqliteStorage, job: JobFactory
) -> None:
    ready, report = spawn.Event(), spawn.Queue()
    child = spawn.Process(target=sleep_on, args=(storage.path, ready, report))
    child.start()
    try:
        assert ready.wait(60)
        time.sleep(0.1)
        storage.enqueue([job("wake")])
        assert report.get(timeout=30) < 4.0  # woken, not timed out
    finally:
        child.join(30)
    assert child.exitcode == 0


def test_a_waiter_sleeps_its_timeout_without_work(storage: SqliteStorage) -> None:
    waiter = storage.waiter("idle")
    started = time.monotonic()
    waiter.wait(0.3)
    assert time.monotonic() - started >= 0.25
    waiter.close()
    assert not os.path.exists(waiter.path)  # type: ignore[attr-defined]


def test_a_long_path_wakes_through_a_private_tmp_directory(tmp_path: Path, job: JobFactory) -> None:
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    storage = SqliteStorage(deep / "q.db")
    directory = wake_dir(storage.path)
    assert directory.startswith(f"/tmp/queuectl-{os.getuid()}-")
    waiter = storage.waiter("w-long")
    assert isinstance(waiter, SocketWaiter)
    assert len(os.fsencode(waiter.path)) <= MAX_SOCKET_PATH
    assert mode(Path(directory)) == 0o700
    storage.enqueue([job()])
    started = time.monotonic()
    waiter.wait(5.0)
    assert time.monotonic() - started < 4.0
    waiter.close()
    storage.close()
    assert not os.path.exists(directory)  # the last waiter leaves no litter in /tmp


def test_notify_removes_sockets_nobody_listens_on(tmp_path: Path) -> None:
    directory = str(tmp_path / "wake")
    live = SocketWaiter(directory, "live")
    dead_path = os.path.join(directory, "dead.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as dead:
        dead.bind(dead_path)  # closed without unlinking, as by a killed worker
    notifier = Notifier(directory)
    for _ in range(1000):  # far more than a socket buffers: never blocks
        notifier.notify()
    assert sorted(os.listdir(directory)) == ["live.sock"]
    started = time.monotonic()
    live.wait(5.0)
    assert time.monotonic() - started < 4.0
    live.close()
    notifier.close()
    assert not os.path.exists(directory)


def test_two_waiters_with_one_worker_id_do_not_collide(tmp_path: Path) -> None:
    directory = str(tmp_path / "wake")
    first, second = SocketWaiter(directory, "w/1"), SocketWaiter(directory, "w/1")
    assert first.path != second.path
    assert os.path.basename(first.path) == "w_1.sock"
    first.close()
    assert os.listdir(directory) == [os.path.basename(second.path)]
    third = SocketWaiter(directory, "w/1")  # the name is free again
    assert third.path == first.path
    second.close()
    third.close()
    assert not os.path.exists(directory)


def test_a_wake_up_directory_that_is_not_ours_alone_falls_back_to_polling(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    storage = SqliteStorage(tmp_path / "q.db")
    directory = Path(wake_dir(storage.path))  # beside the file, or in /tmp for a long path
    directory.symlink_to(elsewhere)
    try:
        waiter = storage.waiter("w")
        assert not isinstance(waiter, SocketWaiter)
        assert "wake-ups disabled" in caplog.text
        assert list(elsewhere.iterdir()) == []
        waiter.close()
    finally:
        directory.unlink()
    storage.close()


def _shared_lock_held(path: Path) -> bool:
    """Whether some process holds SQLite's shared lock on the file (asked from another
    process: F_GETLK does not report the asking process's own locks)."""
    code = f"""
import fcntl, os, struct
fd = os.open({str(path)!r}, os.O_RDWR)
# SQLite's shared-lock bytes: PENDING_BYTE + 2, 510 bytes
query = struct.pack("hhqqi", fcntl.F_WRLCK, os.SEEK_SET, 0x40000002, 510, 0)
print(struct.unpack("hhqqi", fcntl.fcntl(fd, fcntl.F_GETLK, query))[0] != fcntl.F_UNLCK)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.strip() == "True"


def test_opening_the_file_again_in_this_process_keeps_its_locks(db: Path) -> None:
    # Closing any descriptor of a file drops all of a process's POSIX locks on it: a
    # second storage on the same file (e.g. a plugin's) must not open it raw, or other
    # processes may checkpoint and reset the WAL under the first one (corruption).
    first = SqliteStorage(db)
    first.counts()
    assert _shared_lock_held(db)
    second = SqliteStorage(db)
    second.counts()
    assert _shared_lock_held(db)
    second.close()
    first.close()
