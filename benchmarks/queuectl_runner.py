"""queuectl's side of every workload, through its real entry points.

Workers are started as a user starts them (``queuectl worker start --count N``, which
returns once they are registered, and ``queuectl worker stop``); jobs are enqueued with
the Python API (``Queue.enqueue_many``) or ``queuectl enqueue --file``; completion is
seen by polling ``Queue.counts()``. Shell jobs run ``true``; no-op jobs use the
built-in ``noop`` handler; pickup jobs run ``benchmarks.jobs:stamp``, which returns
the time it started.

    .venv/bin/python -m benchmarks.queuectl_runner --system queuectl-sqlite \\
        --workload shell --n 2000 --workers 2
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from benchmarks import harness
from benchmarks.harness import Case, Metrics
from queuectl_core.config import resolve
from queuectl_core.job import State
from queuectl_core.queue import Queue

QUEUECTL = str(Path(sys.executable).with_name("queuectl"))
SYSTEMS = ("queuectl-sqlite", "queuectl-redis")
SHELL_JOB: Mapping[str, Any] = {"command": "true"}
NOOP_JOB: Mapping[str, Any] = {"type": "noop"}
STAMP_JOB: Mapping[str, Any] = {"type": "python", "command": "benchmarks.jobs:stamp"}
FILL_BATCH = 50_000  # jobs per enqueue_many call when filling a queue for the scale runs
STATUS_RUNS = 3
STORAGE_PLUGINS = "sqlite,redis"


class Bench:
    """One isolated queuectl: a fresh backend location and the environment that names it."""

    def __init__(self, case: Case) -> None:
        root = case.scratch
        env = {key: value for key, value in os.environ.items() if not key.startswith("QUEUECTL_")}
        env.update(
            HOME=str(root / "home"),
            XDG_CONFIG_HOME=str(root / "config"),
            XDG_DATA_HOME=str(root / "data"),
            XDG_STATE_HOME=str(root / "state"),
            PYTHONPATH=os.pathsep.join(filter(None, [str(harness.REPO), env.get("PYTHONPATH")])),
            # queuectl as installed on its own: only the storage plugins, not the other
            # plugins of this workspace (webhook, metrics, ...) that .venv also holds.
            QUEUECTL_PLUGINS=STORAGE_PLUGINS,
        )
        if case.system == "queuectl-redis":
            prefix = os.environ.get("QUEUECTL_REDIS_PREFIX") or f"bench-{secrets.token_hex(4)}"
            env.update(
                QUEUECTL_BACKEND="redis",
                QUEUECTL_REDIS_URL=case.need_redis(),
                QUEUECTL_REDIS_PREFIX=prefix,
            )
        else:
            env.update(QUEUECTL_BACKEND="sqlite", QUEUECTL_SQLITE_PATH=str(root / "queue.db"))
        (root / "home").mkdir(parents=True, exist_ok=True)
        self.env = env
        os.environ.update(env)  # this process resolves the same location (and XDG dirs)

    def queue(self) -> Queue:
        return Queue.open(resolve(environ=self.env))

    def cli(self, *args: str) -> None:
        result = subprocess.run(
            [QUEUECTL, *args], env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"queuectl {' '.join(args)} exited {result.returncode}: "
                f"{result.stderr.decode(errors='replace').strip()}"
            )

    @contextmanager
    def workers(self, count: int, *queues: str) -> Iterator[None]:
        """Detached workers, as ``queuectl worker start`` leaves them (serving ``queues``,
        default: every queue); stopped at the end."""
        served = ("--queue", ",".join(queues)) if queues else ()
        self.cli("worker", "start", "--count", str(count), *served)
        try:
            yield
        finally:
            self.cli("worker", "stop", "--timeout", "10")


def in_state(queue: Queue, state: State) -> int:
    return sum(count for (_, each), count in queue.counts().items() if each is state)


def completed(queue: Queue) -> int:
    return in_state(queue, State.COMPLETED)


def run_and_wait(queue: Queue, spec: Mapping[str, Any], count: int) -> None:
    target = completed(queue) + count
    queue.enqueue_many([spec] * count)
    harness.wait_until(lambda: completed(queue) >= target, f"{count} jobs")


# -- workloads ------------------------------------------------------------------------------


def bulk_api(case: Case) -> Metrics:
    """``Queue.enqueue_many`` of N shell jobs in one call, no workers running."""
    with Bench(case).queue() as queue:
        specs = [SHELL_JOB] * case.n
        started = time.perf_counter()
        queue.enqueue_many(specs)
        return {"jobs_per_s": case.n / (time.perf_counter() - started)}


def bulk_cli(case: Case) -> Metrics:
    """One ``queuectl enqueue --file jobs.jsonl`` of N shell jobs (process start included)."""
    bench = Bench(case)
    path = case.scratch / "jobs.jsonl"
    harness.write_json_lines(path, [SHELL_JOB] * case.n)
    with bench.queue() as queue:  # the backend exists before the clock starts
        started = time.perf_counter()
        bench.cli("enqueue", "--file", str(path))
        elapsed = time.perf_counter() - started
        stored = in_state(queue, State.PENDING)
    if stored != case.n:
        raise RuntimeError(f"enqueue --file stored {stored} jobs, not {case.n}")
    return {"jobs_per_s": case.n / elapsed}


def throughput(case: Case, spec: Mapping[str, Any]) -> Metrics:
    """N jobs end to end, from the first enqueue to the last completion; worker RSS."""
    bench = Bench(case)
    with bench.queue() as queue, bench.workers(case.workers):
        run_and_wait(queue, spec, case.warmup)
        metrics = harness.end_to_end(
            case, lambda: queue.enqueue_many([spec] * case.n), lambda: completed(queue)
        )
        return {**metrics, **harness.rss_metrics([w.pid for w in queue.workers()])}


def shell(case: Case) -> Metrics:
    return throughput(case, SHELL_JOB)


def noop(case: Case) -> Metrics:
    return throughput(case, NOOP_JOB)


#: Jobs of each kind that ``features`` keeps on queue ``side``.
SIDE_JOBS = 1_000


def features(case: Case) -> Metrics:
    """No-op and shell throughput on queue ``default``, first plain, then with other jobs
    (on queue ``side``, which these workers do not serve) using the scheduling
    features: a schedule firing every second, jobs waiting for a dependency, jobs
    with unique keys and with expiry times. Each in a backend of its own with the same
    history, so that the ratio shows what the features cost the claim path and not
    what the first half's jobs left behind."""
    shell_case = replace(case, n=case.n * 3 // 8)  # shell jobs are slower: as their rows
    metrics: Metrics = {}
    namespace = os.environ.get("QUEUECTL_REDIS_PREFIX") or f"bench-{secrets.token_hex(4)}"
    for phase in ("plain", "busy"):
        os.environ["QUEUECTL_REDIS_PREFIX"] = f"{namespace}-{phase}"  # Redis: one each
        scratch = case.scratch / phase
        bench = Bench(replace(case, scratch=scratch))
        with bench.queue() as queue, bench.workers(case.workers, "default"):
            if phase == "busy":
                use_features(queue)
            run_and_wait(queue, NOOP_JOB, case.warmup)
            for name, spec, each in (("noop", NOOP_JOB, case), ("shell", SHELL_JOB, shell_case)):
                done = harness.end_to_end(
                    replace(each, scratch=scratch),
                    lambda spec=spec, n=each.n: queue.enqueue_many([spec] * n),
                    lambda: completed(queue),
                )  # fmt: skip
                metrics[f"{name}_{phase}_jobs_per_s"] = done["jobs_per_s"]
    for name in ("noop", "shell"):
        metrics[f"{name}_ratio"] = (
            metrics[f"{name}_busy_jobs_per_s"] / metrics[f"{name}_plain_jobs_per_s"]
        )
    return metrics


def use_features(queue: Queue) -> None:
    """Put the scheduling features to use on queue ``side``."""
    side = {"command": "true", "queue": "side"}
    queue.add_schedule("tick", side, every="1s")
    parent = queue.enqueue({**side, "delay": "1h"})
    queue.enqueue_many([{**side, "after": [parent.id]}] * SIDE_JOBS)
    queue.enqueue_many(
        [{**side, "delay": "1h", "unique_key": f"side-{n}"} for n in range(SIDE_JOBS)]
    )
    queue.enqueue_many([{**side, "delay": "1h", "expires_in": "2h"}] * SIDE_JOBS)


def pickup(case: Case) -> Metrics:
    """An idle worker; jobs enqueued one at a time; enqueue-to-start per job.

    The start is what the job itself returns (``time.time()`` as its first act); the
    ``claim_`` figures use the attempt's ``started_at`` from storage instead.
    """
    bench = Bench(case)
    with bench.queue() as queue, bench.workers(1):
        run_and_wait(queue, STAMP_JOB, case.warmup)
        target = completed(queue) + case.n
        sent: list[tuple[str, float]] = []
        for _ in harness.paced(case.n, case.interval):
            enqueued_at = time.time()
            sent.append((queue.enqueue(STAMP_JOB).id, enqueued_at))
        harness.wait_until(lambda: completed(queue) >= target, "the pickup jobs")
        started = [(float(queue.get(job_id).result), at) for job_id, at in sent]
        claimed = [(queue.attempts(job_id)[0].started_at, at) for job_id, at in sent]
    return {
        **harness.latency_metrics([start - at for start, at in started]),
        **harness.latency_metrics([start - at for start, at in claimed], "claim_"),
    }


def scale(case: Case) -> Metrics:
    """At each size of pending no-op jobs: ``counts()``, ``queuectl status``, and the rate
    at which one worker claims and finishes ``window`` jobs."""
    bench = Bench(case)
    metrics: Metrics = {}
    with bench.queue() as queue:
        for size in case.sizes:
            filled = fill(queue, size)
            metrics[f"fill_jobs_per_s@{size}"] = filled
            metrics[f"count_ms@{size}"] = harness.median_call_ms(queue.counts)
            metrics[f"status_ms@{size}"] = harness.median_wall_ms(
                [QUEUECTL, "status"], STATUS_RUNS, bench.env
            )
            opens_at = completed(queue) + harness.SCALE_SKIP
            with bench.workers(1):
                metrics[f"claims_per_s@{size}"] = harness.claim_window(
                    lambda: completed(queue), opens_at, case.window
                )
            harness.log(f"{size:,} queued: {metrics[f'claims_per_s@{size}']:,.0f} claims/s")
    first, last = case.sizes[0], case.sizes[-1]
    metrics["claim_ratio"] = metrics[f"claims_per_s@{last}"] / metrics[f"claims_per_s@{first}"]
    return metrics


def fill(queue: Queue, size: int) -> float:
    """Enqueue no-op jobs until ``size`` are pending; returns jobs per second."""
    missing = size - in_state(queue, State.PENDING)
    started = time.perf_counter()
    left = missing
    while left > 0:
        count = min(FILL_BATCH, left)
        queue.enqueue_many([NOOP_JOB] * count)
        left -= count
    return max(missing, 1) / (time.perf_counter() - started)


def startup(case: Case) -> Metrics:
    """Wall time of ``queuectl status`` (N runs); ``python -c pass`` is a limit of the run."""
    bench = Bench(case)
    bench.cli("init")  # creates the database: not part of what is timed
    return {
        "status_ms": harness.median_wall_ms([QUEUECTL, "status"], case.n, bench.env),
    }


WORKLOADS = {
    "bulk_api": bulk_api,
    "bulk_cli": bulk_cli,
    "shell": shell,
    "noop": noop,
    "features": features,
    "pickup": pickup,
    "scale": scale,
    "startup": startup,
}

if __name__ == "__main__":
    sys.exit(harness.main(WORKLOADS, SYSTEMS))
