"""CPU per job of real worker processes, split between the worker and its children.

    .venv/bin/python benchmarks/profiles/worker_burst.py shell|noop [WORKERS] [N]

Enqueues N jobs (``sh -c true`` or the ``noop`` handler) in a fresh SQLite file, then
forks WORKERS processes that each run a burst-mode ``Worker`` until the queue is
empty. Prints jobs/s and, per job, the workers' own CPU (Python, SQLite, spawning)
and their children's (the shells): on 2 cores, 2 / (own + children) is the ceiling.
"""

from __future__ import annotations

import logging
import os
import resource
import sys
import tempfile
import time

os.environ.setdefault("QUEUECTL_PLUGINS", "sqlite")  # as the benchmarks run queuectl

from queuectl_sqlite.storage import SqliteStorage

from queuectl_core.queue import Queue
from queuectl_core.worker import Worker

SPECS = {"shell": {"command": "true"}, "noop": {"type": "noop"}}


def cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def work(path: str, name: str, report: int) -> None:
    """A worker process: run the queue empty, then write its own and children's CPU."""
    logging.basicConfig(level=logging.WARNING)
    Worker(SqliteStorage(path), name, burst=True).run()
    own, children = cpu(resource.RUSAGE_SELF), cpu(resource.RUSAGE_CHILDREN)
    os.write(report, f"{own} {children}\n".encode())


def main() -> None:
    kind = sys.argv[1] if len(sys.argv) > 1 else "shell"
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    n = int(sys.argv[3]) if len(sys.argv) > 3 else (4000 if kind == "shell" else 20_000)
    path = os.path.join(tempfile.mkdtemp(), "q.db")
    Queue(SqliteStorage(path)).enqueue_many([SPECS[kind]] * n)
    read_end, write_end = os.pipe()
    started = time.perf_counter()
    pids = []
    for number in range(workers):
        pid = os.fork()
        if pid == 0:
            try:
                work(path, f"w{number}", write_end)
            finally:
                os._exit(0)
        pids.append(pid)
    for pid in pids:
        os.waitpid(pid, 0)
    wall = time.perf_counter() - started
    os.close(write_end)
    with os.fdopen(read_end) as reports:
        pairs = [tuple(map(float, line.split())) for line in reports]
    own = sum(p[0] for p in pairs) / n * 1e6
    children = sum(p[1] for p in pairs) / n * 1e6
    print(
        f"{kind}, {workers} worker(s), {n:,} jobs: {n / wall:,.0f} jobs/s; CPU per job: "
        f"workers {own:.0f} µs, their children {children:.0f} µs"
    )


if __name__ == "__main__":
    main()
