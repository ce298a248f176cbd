"""Where the time of a bulk enqueue on SQLite goes: validation, SQLite's insert, the rest.

    .venv/bin/python benchmarks/profiles/sqlite_enqueue.py [N]

Prints µs per job (the best of 5 rounds, so a busy machine inflates less) for
``build_job`` (validating one ``{"command": "true"}`` into a Job), the storage's
``enqueue`` (rows and SQLite's ``executemany`` into the indexed ``jobs`` table) and
the whole ``Queue.enqueue_many``, then a cProfile of one ``enqueue_many``.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import sys
import tempfile
import time
import timeit

os.environ.setdefault("QUEUECTL_PLUGINS", "sqlite")  # as the benchmarks run queuectl

from queuectl_sqlite.storage import SqliteStorage

from queuectl_core.jobspec import build_job
from queuectl_core.queue import Queue

N = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
ROUNDS = 5
SPECS = [{"command": "true"}] * N


def fresh_queue() -> Queue:
    queue = Queue(SqliteStorage(os.path.join(tempfile.mkdtemp(), "q.db")))
    queue.enqueue({"command": "true"})  # the file and schema exist before timing
    return queue


def best_us(run: object) -> float:
    times = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        run()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return min(times) / N * 1e6


def main() -> None:
    now = time.time()
    build = min(timeit.repeat(lambda: [build_job(s, now) for s in SPECS], number=1, repeat=ROUNDS))
    print(f"build_job (validation)        {build / N * 1e6:6.2f} µs/job")
    storage_us = []
    for _ in range(ROUNDS):
        queue, jobs = fresh_queue(), [build_job(s, now) for s in SPECS]
        started = time.perf_counter()
        queue.storage.enqueue(jobs)
        storage_us.append((time.perf_counter() - started) / N * 1e6)
    print(f"SqliteStorage.enqueue         {min(storage_us):6.2f} µs/job")
    whole = []
    for _ in range(ROUNDS):
        queue = fresh_queue()
        started = time.perf_counter()
        queue.enqueue_many(SPECS)
        whole.append((time.perf_counter() - started) / N * 1e6)
    print(
        f"Queue.enqueue_many (all)      {min(whole):6.2f} µs/job = {1e6 / min(whole):,.0f} jobs/s"
    )
    queue = fresh_queue()
    profile = cProfile.Profile()
    profile.runcall(queue.enqueue_many, SPECS)
    pstats.Stats(profile).sort_stats("tottime").print_stats(8)


if __name__ == "__main__":
    main()
