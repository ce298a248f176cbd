"""CPU per job of a worker's hot path on Redis: ``finish_and_claim_many`` batch cycles.

    .venv/bin/python benchmarks/profiles/redis_cycle.py [N] [--batch B] [--profile]

Enqueues N (20,000) no-op jobs, then does what a worker with prefetch does, without
running anything: each call stores the previous batch's results (succeeded, as the
``noop`` handler ends) and claims the next B (64, the most a worker prefetches; 1 is
a worker without prefetch). Prints wall, client and server CPU per job and the
server's commands per job; ``--profile`` adds the client's cProfile top functions.
"""

from __future__ import annotations

import sys
import time

from queuectl_redis.storage import RedisStorage
from redis_common import measure, private_server, profiled, storage, wants_profile

from queuectl_core.job import AttemptResult, Outcome, State
from queuectl_core.queue import Queue
from queuectl_core.storage import Claim, ClaimRequest, Finish, Transition

NOOP_JOB = {"type": "noop"}
LEASE = 300.0


def finishes(claims: list[Claim]) -> list[Finish]:
    """The results a worker stores for no-op jobs that succeeded."""
    now = time.time()
    return [
        (
            claim.job.id,
            claim.token,
            Transition(
                State.COMPLETED,
                AttemptResult(Outcome.SUCCEEDED, now, started_at=now - 1e-5),
            ),
        )
        for claim in claims
    ]


def drain(store: RedisStorage, batch: int) -> int:
    """Claim and finish every job, ``batch`` at a time; returns the calls made."""
    claims: list[Claim] = []
    calls = 0
    while True:
        now = time.time()
        _, claims = store.finish_and_claim_many(
            finishes(claims), ClaimRequest("worker-1", None, now, now + LEASE, batch)
        )
        calls += 1
        if not claims:
            return calls


def option(name: str, default: int) -> int:
    if name in sys.argv:
        return int(sys.argv[sys.argv.index(name) + 1])
    return default


def main() -> None:
    batch = option("--batch", 64)
    args = [arg for arg in sys.argv[1:] if arg.isdigit() and str(batch) != arg]
    n = int(args[0]) if args else 20_000
    with private_server() as server:
        for round_ in range(3):
            store = storage(server, f"cycle{round_}")
            Queue(store).enqueue_many([NOOP_JOB] * n)
            with measure(store.client, n) as result:
                calls = drain(store, batch)
            result.report(f"finish_and_claim_many, batch {batch}, round {round_ + 1}")
            print(f"calls         {calls / n:8.3f} per job")
        if wants_profile():
            store = storage(server, "cycle-profiled")
            Queue(store).enqueue_many([NOOP_JOB] * n)
            profiled(lambda: drain(store, batch))


if __name__ == "__main__":
    main()
