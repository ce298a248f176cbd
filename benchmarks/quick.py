"""A quick look at queuectl's own numbers on this machine (SQLite backend).

    .venv/bin/python benchmarks/quick.py [--jobs 5000]

Measures, in one run: bulk enqueue through the Python API, end-to-end throughput
of trivial shell jobs (``true``) and no-op Python jobs with 2 workers, pickup
latency of an idle worker (jobs enqueued one at a time, 20 ms apart), the wall
time of ``queuectl status``, and, as the physical limit for shell jobs, how fast
this machine spawns ``sh -c true`` from one process. The benchmark issue grows this
into a suite that runs the peers (huey, rq, task-spooler) side by side.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from queuectl_core.queue import Queue

QUEUECTL = str(Path(sys.executable).with_name("queuectl"))


def env_for(db: Path) -> dict[str, str]:
    return {**os.environ, "QUEUECTL_DB": str(db)}


def spawn_rate(count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        subprocess.run(["/bin/sh", "-c", "true"], check=True)
    return count / (time.perf_counter() - started)


def bulk_enqueue(db: Path, count: int) -> float:
    with Queue.open(db=str(db)) as queue:
        specs = [{"command": "true"} for _ in range(count)]
        started = time.perf_counter()
        queue.enqueue_many(specs)
        return count / (time.perf_counter() - started)


def end_to_end(db: Path, specs: list[dict[str, object]], workers: int) -> float:
    """Jobs per second from the first enqueue to the last completion."""
    env = env_for(db)
    subprocess.run(
        [QUEUECTL, "worker", "start", "--count", str(workers)],
        env=env,
        check=True,
        capture_output=True,
    )
    try:
        with Queue.open(db=str(db)) as queue:
            started = time.perf_counter()
            queue.enqueue_many(specs)
            while True:
                counts = queue.counts()
                done = sum(n for (_, state), n in counts.items() if state.value == "completed")
                if done >= len(specs):
                    break
                time.sleep(0.005)
            return len(specs) / (time.perf_counter() - started)
    finally:
        subprocess.run([QUEUECTL, "worker", "stop"], env=env, check=True, capture_output=True)


def pickup_latency(db: Path, count: int) -> tuple[float, float]:
    """p50 and p99 milliseconds from enqueue to the attempt's start, idle worker."""
    env = env_for(db)
    subprocess.run([QUEUECTL, "worker", "start"], env=env, check=True, capture_output=True)
    try:
        with Queue.open(db=str(db)) as queue:
            ids = []
            for _ in range(count):
                ids.append(queue.enqueue(command="true").id)
                time.sleep(0.02)
            time.sleep(0.5)
            delays = []
            for job_id in ids:
                job = queue.get(job_id)
                [attempt] = queue.attempts(job_id)
                delays.append((attempt.started_at - job.created_at) * 1000)
    finally:
        subprocess.run([QUEUECTL, "worker", "stop"], env=env, check=True, capture_output=True)
    delays.sort()
    return statistics.median(delays), delays[int(len(delays) * 0.99) - 1]


def status_wall(db: Path, runs: int = 10) -> float:
    env = env_for(db)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([QUEUECTL, "status"], env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=5000)
    args = parser.parse_args()
    n = args.jobs
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        rows = [
            ("spawn `sh -c true`, 1 process", f"{spawn_rate(1000):,.0f} /s"),
            ("bulk enqueue, Python API", f"{bulk_enqueue(root / 'bulk.db', 20 * n):,.0f} jobs/s"),
            (
                "shell `true`, 2 workers",
                f"{end_to_end(root / 'sh.db', [{'command': 'true'}] * n, 2):,.0f} jobs/s",
            ),
            (
                "no-op Python, 2 workers",
                f"{end_to_end(root / 'py.db', [{'type': 'noop'}] * (4 * n), 2):,.0f} jobs/s",
            ),
        ]
        p50, p99 = pickup_latency(root / "lat.db", 200)
        rows.append(("pickup latency, idle worker", f"p50 {p50:.1f} ms, p99 {p99:.1f} ms"))
        rows.append(("`queuectl status` wall time", f"{status_wall(root / 'sh.db'):.0f} ms"))
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()
