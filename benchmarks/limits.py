"""The machine's physical limits, measured in the same run as the systems.

- ``spawn``: ``sh -c true`` in a new session, stdin ``/dev/null``, stdout and stderr
  piped and read, from ``--workers`` processes at once, two ways: ``subprocess.Popen``
  and queuectl's own ``executors.spawn`` (``os.posix_spawn``, what a worker uses). The
  faster is the ceiling of shell jobs per second.
- ``sqlite_commit``: single-row ``INSERT`` transactions (``BEGIN IMMEDIATE`` ...
  ``COMMIT``, as queuectl writes) on a WAL database with ``synchronous=NORMAL`` (what
  queuectl uses by default) and ``FULL`` (SQLite's default, which huey keeps).
- ``sqlite_insert``: queuectl's own job rows (built and validated beforehand) inserted
  with one ``executemany`` in one transaction into its real schema, with the indexes
  claims need, and the same number of minimal rows into a table without indexes: the
  ceiling of bulk enqueue on SQLite, and what the indexes cost.
- ``redis_roundtrip``: ``PING`` round trips over a raw socket from ``--workers``
  processes: the ceiling of anything that needs one round trip per job.
- ``python_startup``: wall time of ``python -c pass``: the floor of any Python CLI; and of
  ``import click`` (the floor of a click CLI) and ``import redis`` (of anything that
  talks to Redis through redis-py).

    .venv/bin/python -m benchmarks.limits --system limits --workload spawn --workers 2
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable
from typing import Any

from benchmarks import harness
from benchmarks.harness import Case, Metrics
from queuectl_core.executors.spawn import spawn as spawn_child

SYSTEMS = ("limits",)
SECONDS = 2.0  # length of each timed loop (a quarter of the budget if that is shorter)
START_DELAY = 0.3  # processes of one measurement all start at the same moment, this late
PYTHON_RUNS = 20
SHELL_TRUE = ["/bin/sh", "-c", "true"]


def in_parallel(loop: Callable[[float, float], int], processes: int, seconds: float) -> float:
    """Run ``loop(start, deadline)`` in ``processes`` forked processes over the same
    interval; returns their summed count per second.

    Plain processes and pipes, not a ``multiprocessing.Pool``: a pool's helper threads
    may still hold a lock when the next call forks, and the child then hangs for ever.
    """
    start = time.time() + START_DELAY
    deadline = start + seconds
    context = multiprocessing.get_context("fork")
    children = []
    for _ in range(processes):
        receive, send = context.Pipe(duplex=False)
        child = context.Process(target=_counted, args=(loop, start, deadline, send))
        child.start()
        send.close()
        children.append((child, receive))
    counts = [receive.recv() for _, receive in children]
    for child, receive in children:
        child.join()
        receive.close()
    return sum(counts) / seconds


def _counted(loop: Callable[[float, float], int], start: float, deadline: float, send: Any) -> None:
    send.send(loop(start, deadline))
    send.close()


def _sleep_until(moment: float) -> None:
    delay = moment - time.time()
    if delay > 0:
        time.sleep(delay)


def seconds(case: Case) -> float:
    return min(SECONDS, case.budget / 4)


def popen_loop(start: float, deadline: float) -> int:
    """``sh -c true`` through ``subprocess.Popen``, as most Python programs spawn."""
    _sleep_until(start)
    count = 0
    while time.time() < deadline:
        process = subprocess.Popen(
            SHELL_TRUE,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        process.communicate()
        count += 1
    return count


def posix_spawn_loop(start: float, deadline: float) -> int:
    """``sh -c true`` through queuectl's own spawn (``os.posix_spawn``), as a worker does."""
    environment = dict(os.environb)
    _sleep_until(start)
    count = 0
    while time.time() < deadline:
        child = spawn_child(SHELL_TRUE, environment)
        child.wait()
        os.read(child.stdout, 65536)
        os.read(child.stderr, 65536)
        child.close()
        count += 1
    return count


def spawn(case: Case) -> Metrics:
    """Both ways of spawning; the faster one is the machine's limit."""
    processes = max(1, case.workers)
    popen = in_parallel(popen_loop, processes, seconds(case))
    posix = in_parallel(posix_spawn_loop, processes, seconds(case))
    return {"per_s": max(popen, posix), "popen_per_s": popen, "posix_spawn_per_s": posix}


def sqlite_commit(case: Case) -> Metrics:
    metrics = {}
    for mode in ("normal", "full"):
        path = case.scratch / f"commit-{mode}.db"
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute(f"PRAGMA synchronous = {mode}")
            conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, value TEXT)")
            count = 0
            deadline = time.perf_counter() + seconds(case)
            started = time.perf_counter()
            while time.perf_counter() < deadline:
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("INSERT INTO t (value) VALUES (?)", ("x",))
                conn.execute("COMMIT")
                count += 1
            metrics[f"{mode}_per_s"] = count / (time.perf_counter() - started)
        finally:
            conn.close()
    return metrics


INSERT_ROWS = 20_000


def sqlite_insert(case: Case) -> Metrics:
    from queuectl_sqlite.rows import insert_jobs
    from queuectl_sqlite.storage import SqliteStorage

    from queuectl_core.jobspec import build_job

    path = case.scratch / "insert.db"
    storage = SqliteStorage(path)
    storage.counts()  # creates the file and its schema
    storage.close()
    now = time.time()
    statement, rows = insert_jobs([build_job({"command": "true"}, now) for _ in range(INSERT_ROWS)])
    metrics = {}
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("CREATE TABLE bare (id INTEGER PRIMARY KEY, value TEXT)")
        for name, sql, values in (
            ("per_s", statement, rows),
            ("bare_per_s", "INSERT INTO bare (value) VALUES (?)", [("x",)] * INSERT_ROWS),
        ):
            started = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(sql, values)
            conn.execute("COMMIT")
            metrics[name] = INSERT_ROWS / (time.perf_counter() - started)
    finally:
        conn.close()
    return metrics


def redis_loop(address: tuple[str, int], start: float, deadline: float) -> int:
    with socket.create_connection(address) as conn:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        _sleep_until(start)
        count = 0
        while time.time() < deadline:
            conn.sendall(b"PING\r\n")
            reply = conn.recv(64)
            if not reply.startswith(b"+PONG"):
                raise RuntimeError(f"unexpected reply to PING: {reply!r}")
            count += 1
    return count


def redis_roundtrip(case: Case) -> Metrics:
    url = urllib.parse.urlsplit(case.need_redis())
    address = (url.hostname or "127.0.0.1", url.port or 6379)
    loop = functools.partial(redis_loop, address)
    return {"per_s": in_parallel(loop, max(1, case.workers), seconds(case))}


def python_startup(case: Case) -> Metrics:
    def ms(code: str) -> float:
        return harness.median_wall_ms([sys.executable, "-c", code], PYTHON_RUNS)

    return {"ms": ms("pass"), "click_ms": ms("import click"), "redis_ms": ms("import redis")}


WORKLOADS = {
    "spawn": spawn,
    "sqlite_commit": sqlite_commit,
    "sqlite_insert": sqlite_insert,
    "redis_roundtrip": redis_roundtrip,
    "python_startup": python_startup,
}

if __name__ == "__main__":
    sys.exit(harness.main(WORKLOADS, SYSTEMS))
