"""rq's side of the workloads: N ``rq worker`` processes, forking or ``SimpleWorker``.

``rq-fork`` runs rq's default ``Worker``, which forks a work horse per job;
``rq-simple`` runs ``--worker-class rq.worker.SimpleWorker``, which runs jobs in the
worker process. Jobs are the functions of :mod:`benchmarks.jobs`, enqueued with
``Queue.enqueue_many`` (one pipeline) or ``Queue.enqueue``; completions are counted in
the queue's ``FinishedJobRegistry``. Every other setting is rq's default.

    benchmarks/.peers/bin/python -m benchmarks.peers.rq_runner --system rq-simple \\
        --redis-url redis://127.0.0.1:7000/0 --workload noop --n 2000 --workers 2
"""

from __future__ import annotations

import os
import signal
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from redis import Redis
from rq import Queue
from rq.job import Job

from benchmarks import harness, jobs
from benchmarks.harness import Case, Metrics

RQ = str(Path(sys.executable).with_name("rq"))
SYSTEMS = ("rq-fork", "rq-simple")
QUEUE = "bench"
FILL_BATCH = 50_000
INFO_RUNS = 3


class RqBench:
    """The queue on the suite's Redis server and the workers of one run."""

    def __init__(self, case: Case) -> None:
        self.case = case
        self.url = case.need_redis()
        self.connection = Redis.from_url(self.url)
        self.queue = Queue(QUEUE, connection=self.connection)
        self.finished = self.queue.finished_job_registry
        self.env = {**os.environ, "PYTHONPATH": str(harness.REPO)}

    def done(self) -> int:
        return int(self.finished.get_job_count(cleanup=False))

    def enqueue_many(self, function: Callable[[], Any], count: int) -> None:
        self.queue.enqueue_many([Queue.prepare_data(function) for _ in range(count)])

    @contextmanager
    def workers(self, count: int) -> Iterator[list[int]]:
        """``count`` worker processes, yielded (as pids) once they have run jobs."""
        command = [RQ, "worker", "--url", self.url]
        if self.case.system == "rq-simple":
            command += ["--worker-class", "rq.worker.SimpleWorker"]
        with harness.Processes() as processes:
            started = [
                processes.start(
                    [*command, QUEUE], self.case.scratch / f"worker-{index}.log", self.env
                )
                for index in range(count)
            ]
            try:
                target = self.done() + self.case.warmup
                self.enqueue_many(jobs.noop, self.case.warmup)
                harness.wait_until(lambda: self.done() >= target, "the warm-up jobs")
                yield [process.pid for process in started]
            except Exception:
                harness.log(harness.tail(self.case.scratch / "worker-0.log"))
                raise
            finally:
                processes.stop(signal.SIGTERM)


def bulk_api(case: Case) -> Metrics:
    """``Queue.enqueue_many`` of N shell jobs (one pipeline), no workers running."""
    bench = RqBench(case)
    data = [Queue.prepare_data(jobs.shell) for _ in range(case.n)]
    started = time.perf_counter()
    bench.queue.enqueue_many(data)
    return {"jobs_per_s": case.n / (time.perf_counter() - started)}


def throughput(case: Case, function: Callable[[], Any]) -> Metrics:
    bench = RqBench(case)
    with bench.workers(case.workers) as pids:
        metrics = harness.end_to_end(case, lambda: bench.enqueue_many(function, case.n), bench.done)
        return {**metrics, **harness.rss_metrics(pids)}


def shell(case: Case) -> Metrics:
    return throughput(case, jobs.shell)


def noop(case: Case) -> Metrics:
    return throughput(case, jobs.noop)


def pickup(case: Case) -> Metrics:
    """One idle worker; the job returns ``time.time()`` as it starts."""
    bench = RqBench(case)
    with bench.workers(1):
        target = bench.done() + case.n
        sent = []
        for _ in harness.paced(case.n, case.interval):
            enqueued_at = time.time()
            sent.append((bench.queue.enqueue(jobs.stamp), enqueued_at))
        harness.wait_until(lambda: bench.done() >= target, "the pickup jobs")
        delays = [return_value(job) - at for job, at in sent]
    return harness.latency_metrics(delays)


def return_value(job: Job) -> float:
    """The job's stored result (the registry may count the job before the result lands)."""
    found: list[float] = []

    def stored() -> bool:
        value = job.return_value(refresh=True)
        found[:] = [] if value is None else [float(value)]
        return bool(found)

    harness.wait_until(stored, f"the result of job {job.id}", timeout=10)
    return found[0]


def scale(case: Case) -> Metrics:
    """At each size of pending no-op jobs: ``Queue.count``, ``rq info`` and the rate at
    which one worker takes ``window`` jobs."""
    bench = RqBench(case)
    metrics: Metrics = {}
    for size in case.sizes:
        metrics[f"fill_jobs_per_s@{size}"] = fill(bench, size)
        metrics[f"count_ms@{size}"] = harness.median_call_ms(lambda: bench.queue.count)
        metrics[f"status_ms@{size}"] = harness.median_wall_ms(
            [RQ, "info", "--url", bench.url, QUEUE], INFO_RUNS, bench.env
        )
        opens_at = bench.done() + harness.SCALE_SKIP
        with bench.workers(1):
            metrics[f"claims_per_s@{size}"] = harness.claim_window(
                bench.done, opens_at, case.window
            )
        harness.log(f"{size:,} queued: {metrics[f'claims_per_s@{size}']:,.0f} claims/s")
    first, last = case.sizes[0], case.sizes[-1]
    metrics["claim_ratio"] = metrics[f"claims_per_s@{last}"] / metrics[f"claims_per_s@{first}"]
    return metrics


#: Copies the hash of one job ARGV[2] times under ids ARGV[1]..1, 2, ... and queues them.
CLONE_JOBS = """
local fields = redis.call('HGETALL', KEYS[1])
for i = 1, tonumber(ARGV[2]) do
    local id = ARGV[1] .. i
    redis.call('HSET', ARGV[3] .. id, unpack(fields))
    redis.call('RPUSH', KEYS[2], id)
end
return redis.call('LLEN', KEYS[2])
"""


def fill(bench: RqBench, size: int) -> float:
    """Add no-op jobs until ``size`` are queued, by the fast path: one job is created
    through rq, then a Lua script copies its hash under new ids and queues them."""
    queue = bench.queue
    template = queue.create_job(jobs.noop)
    template.save()
    clone = bench.connection.register_script(CLONE_JOBS)
    missing = size - queue.count
    started = time.perf_counter()
    left = missing
    while left > 0:
        count = min(FILL_BATCH, left)
        prefix = f"{uuid.uuid4().hex}-"
        keys = [template.key, queue.key]
        clone(keys=keys, args=[prefix, count, Job.redis_job_namespace_prefix])
        left -= count
    bench.connection.sadd(queue.redis_queues_keys, queue.key)
    return max(missing, 1) / (time.perf_counter() - started)


def startup(case: Case) -> Metrics:
    """Wall time of ``rq info`` (N runs)."""
    url = case.need_redis()
    return {
        "status_ms": harness.median_wall_ms([RQ, "info", "--url", url], case.n),
    }


WORKLOADS = {
    "bulk_api": bulk_api,
    "shell": shell,
    "noop": noop,
    "pickup": pickup,
    "scale": scale,
    "startup": startup,
}

if __name__ == "__main__":
    sys.exit(harness.main(WORKLOADS, SYSTEMS))
