"""huey's side of the workloads: ``huey_consumer -k process -w N`` on SQLite or Redis.

Tasks are enqueued by calling them (huey has no bulk enqueue), completions are
counted through the ``SIGNAL_COMPLETE`` handler of :mod:`benchmarks.peers.huey_app`.
Every setting is huey's default: on SQLite, idle workers poll (0.1 s, growing by
1.15 up to 10 s) and commits use SQLite's default ``synchronous=FULL``; on Redis,
idle workers block in ``BRPOP``.

    benchmarks/.peers/bin/python -m benchmarks.peers.huey_runner --system huey-redis \\
        --redis-url redis://127.0.0.1:7000/0 --workload noop --n 2000 --workers 2
"""

from __future__ import annotations

import importlib
import os
import secrets
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

from benchmarks import harness
from benchmarks.harness import Case, Metrics

CONSUMER = str(Path(sys.executable).with_name("huey_consumer"))
SYSTEMS = ("huey-sqlite", "huey-redis")
FILL_BATCH = 20_000


class HueyBench:
    """A fresh huey queue (SQLite file or Redis name), its app module and its consumer."""

    def __init__(self, case: Case) -> None:
        self.case = case
        self.done_path = case.scratch / "done"
        self.done_path.touch()
        if case.system == "huey-redis":
            storage = case.need_redis()
        else:
            storage = str(case.scratch / "huey.db")
        self.env = {
            **os.environ,
            "BENCH_HUEY_STORAGE": storage,
            "BENCH_HUEY_NAME": f"bench{secrets.token_hex(4)}",
            "BENCH_DONE_FILE": str(self.done_path),
            "PYTHONPATH": str(harness.REPO),
        }
        os.environ.update(self.env)  # the app module reads its storage from there
        self.app: ModuleType = importlib.import_module("benchmarks.peers.huey_app")
        self.huey: Any = self.app.huey

    def done(self) -> int:
        return os.stat(self.done_path).st_size

    def task(self, name: str) -> Callable[[], Any]:
        task: Callable[[], Any] = getattr(self.app, name)
        return task

    @contextmanager
    def consumer(self, workers: int) -> Iterator[int]:
        """``huey_consumer`` with ``workers`` processes; yields its pid once it ran a job."""
        log_path = self.case.scratch / "consumer.log"
        command = [CONSUMER, "benchmarks.peers.huey_app.huey", "-k", "process"]
        with harness.Processes() as processes:
            process = processes.start([*command, "-w", str(workers)], log_path, self.env)
            try:
                self.run_and_wait("noop", self.case.warmup)
                yield process.pid
            except Exception:
                harness.log(harness.tail(log_path))
                raise
            finally:
                processes.stop(signal.SIGTERM)

    def run_and_wait(self, name: str, count: int) -> None:
        target = self.done() + count
        task = self.task(name)
        for _ in range(count):
            task()
        harness.wait_until(lambda: self.done() >= target, f"{count} huey tasks")


def bulk_api(case: Case) -> Metrics:
    """N shell tasks enqueued by calling the task, no consumer running."""
    bench = HueyBench(case)
    task = bench.task("shell")
    started = time.perf_counter()
    for _ in range(case.n):
        task()
    return {"jobs_per_s": case.n / (time.perf_counter() - started)}


def throughput(case: Case, name: str) -> Metrics:
    bench = HueyBench(case)
    with bench.consumer(case.workers) as pid:
        task = bench.task(name)

        def enqueue() -> None:
            for _ in range(case.n):
                task()

        metrics = harness.end_to_end(case, enqueue, bench.done)
        return {**metrics, **harness.rss_metrics(harness.children(pid))}


def shell(case: Case) -> Metrics:
    return throughput(case, "shell")


def noop(case: Case) -> Metrics:
    return throughput(case, "noop")


def pickup(case: Case) -> Metrics:
    """An idle consumer of one worker; the task returns ``time.time()`` as it starts."""
    bench = HueyBench(case)
    stamp = bench.task("stamp")
    with bench.consumer(1):
        target = bench.done() + case.n
        sent = []
        for _ in harness.paced(case.n, case.interval):
            enqueued_at = time.time()
            sent.append((stamp(), enqueued_at))
        harness.wait_until(lambda: bench.done() >= target, "the pickup tasks")
        delays = [result.get(blocking=True, timeout=10) - at for result, at in sent]
    return harness.latency_metrics(delays)


def scale(case: Case) -> Metrics:
    """At each size of pending no-op tasks: ``pending_count()`` and one worker's rate."""
    bench = HueyBench(case)
    metrics: Metrics = {}
    for size in case.sizes:
        metrics[f"fill_jobs_per_s@{size}"] = fill(bench, size)
        metrics[f"count_ms@{size}"] = harness.median_call_ms(bench.huey.pending_count)
        opens_at = bench.done() + harness.SCALE_SKIP
        with bench.consumer(1):
            metrics[f"claims_per_s@{size}"] = harness.claim_window(
                bench.done, opens_at, case.window
            )
        harness.log(f"{size:,} queued: {metrics[f'claims_per_s@{size}']:,.0f} claims/s")
    first, last = case.sizes[0], case.sizes[-1]
    metrics["claim_ratio"] = metrics[f"claims_per_s@{last}"] / metrics[f"claims_per_s@{first}"]
    return metrics


def fill(bench: HueyBench, size: int) -> float:
    """Add serialized no-op tasks straight into huey's storage (the fast path: one
    ``executemany`` or ``LPUSH`` per batch) until ``size`` are pending."""
    huey = bench.huey
    noop_task: Any = bench.task("noop")
    missing = size - int(huey.pending_count())
    started = time.perf_counter()
    left = missing
    while left > 0:
        count = min(FILL_BATCH, left)
        messages = [huey.serialize_task(noop_task.s()) for _ in range(count)]
        storage = huey.storage
        if bench.case.system == "huey-redis":
            storage.conn.lpush(storage.queue_key, *messages)
        else:
            with storage.db(commit=True) as cursor:
                cursor.executemany(
                    "insert into task (queue, data, priority) values (?, ?, 0)",
                    [(storage.name, message) for message in messages],
                )
        left -= count
    return max(missing, 1) / (time.perf_counter() - started)


WORKLOADS = {
    "bulk_api": bulk_api,
    "shell": shell,
    "noop": noop,
    "pickup": pickup,
    "scale": scale,
}

if __name__ == "__main__":
    sys.exit(harness.main(WORKLOADS, SYSTEMS))
