"""CPU per job of ``Queue.enqueue_many`` on Redis: client (core + backend) and server.

    .venv/bin/python benchmarks/profiles/redis_enqueue.py [N] [--profile]

Enqueues N (20,000) shell jobs in one call, as the ``bulk_api`` benchmark does, three
times into fresh namespaces; prints wall, client and server CPU per job and the
server's commands per job. ``--profile`` adds the client's cProfile top functions.
"""

from __future__ import annotations

import sys

from redis_common import measure, private_server, profiled, storage, wants_profile

from queuectl_core.queue import Queue

SHELL_JOB = {"command": "true"}
ROUNDS = 3


def main() -> None:
    numbers = [int(arg) for arg in sys.argv[1:] if arg.isdigit()]
    n = numbers[0] if numbers else 20_000
    with private_server() as server:
        for round_ in range(ROUNDS):
            queue = Queue(storage(server, f"enqueue{round_}"))
            queue.enqueue({"command": "true"})  # loads the script; not measured
            with measure(queue.storage.client, n) as result:  # type: ignore[attr-defined]
                queue.enqueue_many([SHELL_JOB] * n)
            result.report(f"enqueue_many, round {round_ + 1}")
        if wants_profile():
            queue = Queue(storage(server, "enqueue-profiled"))
            profiled(lambda: queue.enqueue_many([SHELL_JOB] * n))


if __name__ == "__main__":
    main()
