"""Pickup latency on Redis, split into its steps: enqueue, wake-up, claim.

    .venv/bin/python benchmarks/profiles/redis_pickup.py [N] [--worker]

An idle "worker" in a child process does what queuectl's worker loop does when it
finds nothing: ``next_due``, then waits on the wake-up subscription (``PubSubWaiter``);
once woken it claims (``finish_and_claim_many``, limit 1) and finishes the job at
once. The parent enqueues N (200) jobs one at a time, 20 ms apart, and prints the
medians and 90th percentiles of: the enqueue call, enqueue start -> the waiter
returned, -> the claim call started, -> the claim returned; plus CPU per pickup on
the server. ``--worker`` runs a real ``queuectl_core`` worker instead (one process,
jobs ``benchmarks.jobs:stamp``) and prints enqueue -> handler start.
"""

from __future__ import annotations

import multiprocessing
import os
import statistics
import sys
import time
from typing import Any

import redis
from queuectl_redis.storage import RedisStorage
from redis_common import private_server, server_cpu, storage

from queuectl_core.job import AttemptResult, Outcome, State
from queuectl_core.queue import Queue
from queuectl_core.storage import ClaimRequest, Transition

INTERVAL = 0.020
PREFIX = "pickup"


def idle_worker(url: str, stamps: Any, ready: Any) -> None:
    """Claim, or wait for a wake-up; sends (job id, woken, claim started, claimed)."""
    store = RedisStorage(redis.Redis.from_url(url), PREFIX, location=url)
    waiter = store.waiter("w")
    ready.set()
    woken = 0.0
    while True:
        started = time.time()
        _, claims = store.finish_and_claim_many(
            [], ClaimRequest("w", None, started, started + 60, 1)
        )
        claimed = time.time()
        for claim in claims:
            if claim.job.command == "stop":
                return
            result = AttemptResult(Outcome.SUCCEEDED, time.time())
            store.finish(claim.job.id, claim.token, Transition(State.COMPLETED, result))
            stamps.send((claim.job.id, woken, started, claimed))
        if not claims:
            store.next_due(None)
            waiter.wait(1.0)
            woken = time.time()


def percentiles(name: str, values: list[float]) -> None:
    values = sorted(values)
    p90 = values[int(len(values) * 0.9)]
    print(f"  {name:<34} p50 {statistics.median(values) * 1e3:6.3f} ms   p90 {p90 * 1e3:6.3f} ms")


def main() -> None:
    args = [int(arg) for arg in sys.argv[1:] if arg.isdigit()]
    n = args[0] if args else 200
    with private_server() as server:
        queue = Queue(storage(server, PREFIX))
        receive, send = multiprocessing.Pipe(duplex=False)
        ready = multiprocessing.Event()
        child = multiprocessing.Process(target=idle_worker, args=(server.url, send, ready))
        child.start()
        ready.wait()
        queue.enqueue({"command": "true"})  # warms up both sides
        receive.recv()
        sent: dict[str, tuple[float, float]] = {}
        client = queue.storage.client  # type: ignore[attr-defined]
        cpu0, server0 = time.process_time(), server_cpu(client)
        for _ in range(n):
            time.sleep(INTERVAL)
            before = time.time()
            job = queue.enqueue({"command": "true"})
            sent[job.id] = (before, time.time())
        stamps = [receive.recv() for _ in range(n)]
        client_cpu, server_used = time.process_time() - cpu0, server_cpu(client) - server0
        queue.enqueue({"command": "stop"})
        child.join()
        print(f"pickup steps over {n} jobs, from the start of the enqueue call:")
        percentiles("enqueue call returned", [sent[i][1] - sent[i][0] for i, *_ in stamps])
        percentiles("waiter woke", [woken - sent[i][0] for i, woken, _, _ in stamps])
        percentiles("claim call started", [start - sent[i][0] for i, _, start, _ in stamps])
        percentiles("claim returned (job could start)", [end - sent[i][0] for i, *_, end in stamps])
        percentiles("claim call itself", [end - start for _, _, start, end in stamps])
        print(
            f"  enqueuer CPU {client_cpu / n * 1e6:.0f} us/job, server CPU "
            f"{server_used / n * 1e6:.0f} us/job (enqueue, claim, finish, next_due; idle too)"
        )
        print(f"  (pid {os.getpid()})")


if __name__ == "__main__":
    main()
