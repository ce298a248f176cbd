"""CPU per job of a real worker process on Redis, no-op jobs, and where it goes.

    .venv/bin/python benchmarks/profiles/redis_worker.py [N] [--py-spy PATH]

Enqueues N (20,000) ``noop`` jobs, then runs ``queuectl worker run --burst`` (one
worker, the storage plugins only, as the benchmarks run it) until the queue is empty.
Prints wall time, the worker's CPU (its process tree, from ``RUSAGE_CHILDREN``) and
the server's CPU per job. With ``--py-spy PATH`` (a py-spy binary, e.g. unpacked
from ``pip download py-spy``) the worker runs under ``py-spy record`` and the
functions with the most samples are printed: own samples and samples in callees.
"""

from __future__ import annotations

import collections
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from redis_common import commandstats, private_server, server_cpu, storage

from queuectl_core.queue import Queue

QUEUECTL = str(Path(sys.executable).with_name("queuectl"))
PREFIX = "worker"
TOP = 25


def py_spy_report(path: Path) -> None:
    """The top functions of py-spy's collapsed stacks: own and inclusive samples."""
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = [
            frame.split(" (")[0] + " " + frame.rsplit("/", 1)[-1] for frame in stack.split(";")
        ]
        samples = int(count)
        total += samples
        own[frames[-1]] += samples
        for frame in set(frames):
            inclusive[frame] += samples
    print(f"\npy-spy: {total} samples; own time:")
    for frame, samples in own.most_common(TOP):
        print(f"  {100 * samples / total:5.1f}%  {frame}")
    print("inclusive:")
    for frame, samples in inclusive.most_common(TOP + 15):
        print(f"  {100 * samples / total:5.1f}%  {frame}")


def main() -> None:
    args = [arg for arg in sys.argv[1:] if arg.isdigit()]
    n = int(args[0]) if args else 20_000
    spy = sys.argv[sys.argv.index("--py-spy") + 1] if "--py-spy" in sys.argv else None
    with private_server() as server, tempfile.TemporaryDirectory() as home:
        queue = Queue(storage(server, PREFIX))
        queue.enqueue_many([{"type": "noop"}] * n)
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("QUEUECTL_")},
            "HOME": home,
            "XDG_CONFIG_HOME": home,
            "XDG_STATE_HOME": home,
            "XDG_DATA_HOME": home,
            "QUEUECTL_PLUGINS": "sqlite,redis",
            "QUEUECTL_BACKEND": "redis",
            "QUEUECTL_REDIS_URL": server.url,
            "QUEUECTL_REDIS_PREFIX": PREFIX,
        }
        command = [QUEUECTL, "worker", "run", "--burst"]
        raw = Path(home) / "py-spy.txt"
        if spy:
            command = [
                spy,
                "record",
                "--format",
                "raw",
                "-r",
                "250",
                "-s",
                "-o",
                str(raw),
                "--",
                *command,
            ]
        client = queue.storage.client  # type: ignore[attr-defined]
        client.config_resetstat()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        server0, wall0 = server_cpu(client), time.perf_counter()
        subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - wall0
        used = server_cpu(client) - server0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        worker = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        done = sum(c for (_, state), c in queue.counts().items() if state.value == "completed")
        print(f"{done} of {n} no-op jobs completed by one worker")
        print(f"wall          {wall / n * 1e6:8.1f} us/job   ({n / wall:,.0f} jobs/s)")
        print(f"worker CPU    {worker / n * 1e6:8.1f} us/job  (process tree, start-up included)")
        print(f"server CPU    {used / n * 1e6:8.1f} us/job")
        evalsha = commandstats(client).get("evalsha", (0, 0.0))
        print(f"evalsha       {evalsha[1] / n:8.1f} us/job  ({evalsha[0] / n:.3f} calls/job)")
        if spy:
            py_spy_report(raw)


if __name__ == "__main__":
    main()
