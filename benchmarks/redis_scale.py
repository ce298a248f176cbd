"""Claim rate and status cost of the Redis backend as the queue grows.

    redis-server --port 6411 --save "" --appendonly no --daemonize yes
    .venv/bin/python benchmarks/redis_scale.py redis://127.0.0.1:6411/0 [--sizes 10000,1000000]

Fills one namespace (prefix ``scale``, emptied first) to each size, then measures
2,000 claims from one client, ``Storage.counts()`` and the wall time of
``queuectl status``. Use a server of your own: the namespace is deleted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from queuectl_core.job import State
from queuectl_core.queue import Queue

PREFIX = "scale"
BATCH = 20_000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--sizes", default="10000,1000000")
    args = parser.parse_args()
    os.environ["QUEUECTL_REDIS_PREFIX"] = PREFIX
    env = {**os.environ, "QUEUECTL_BACKEND": "redis", "QUEUECTL_REDIS_URL": args.url}
    queuectl = str(Path(sys.executable).with_name("queuectl"))
    with Queue.open(backend="redis", db=args.url) as queue:
        states = list(State)
        queue.storage.purge(states)
        for size in (int(text) for text in args.sizes.split(",")):
            have = sum(queue.counts().values())
            started = time.perf_counter()
            while have < size:
                count = min(BATCH, size - have)
                queue.enqueue_many([{"command": "true"}] * count)
                have += count
            fill = time.perf_counter() - started
            started = time.perf_counter()
            for _ in range(2000):
                now = time.time()
                queue.storage.claim("bench", None, now, now + 30)
            claims = 2000 / (time.perf_counter() - started)
            started = time.perf_counter()
            queue.counts()
            counts_ms = (time.perf_counter() - started) * 1000
            walls = []
            for _ in range(5):
                started = time.perf_counter()
                subprocess.run([queuectl, "status"], env=env, check=True, capture_output=True)
                walls.append(time.perf_counter() - started)
            print(
                f"{size:>9,} jobs: filled in {fill:.1f} s, {claims:,.0f} claims/s, "
                f"counts() {counts_ms:.2f} ms, status {statistics.median(walls) * 1000:.0f} ms",
                flush=True,
            )
        queue.storage.purge(states)


if __name__ == "__main__":
    main()
