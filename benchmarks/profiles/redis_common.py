"""Shared by the ``redis_*.py`` profiles: a private redis-server and CPU meters.

Each profile starts its own ``redis-server`` (no persistence, a free loopback port,
never 6379) through :mod:`queuectl_redis.testing.servers`, and measures CPU per job on
both sides: the client's ``time.process_time()`` and the server's ``INFO CPU``
(``used_cpu_user + used_cpu_sys``), plus ``INFO COMMANDSTATS`` to split the server's
time between the script calls (``evalsha``) and the commands they run inside.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis
from queuectl_redis.storage import RedisStorage
from queuectl_redis.testing.servers import RedisServer

# queuectl as the benchmarks run it: the storage plugins only (no metrics, no webhooks)
os.environ.setdefault("QUEUECTL_PLUGINS", "sqlite,redis")

Stats = dict[str, tuple[int, float]]  # command -> (calls, microseconds)


@contextmanager
def private_server() -> Iterator[RedisServer]:
    """A throwaway redis-server (no AOF, no snapshots) on a free port."""
    with (
        tempfile.TemporaryDirectory(prefix="queuectl-profile-") as root,
        RedisServer(Path(root), appendonly=False) as server,
    ):
        yield server


def storage(server: RedisServer, prefix: str = "profile") -> RedisStorage:
    """A storage on ``server`` as a worker opens it (``decode_responses=False``)."""
    return RedisStorage(redis.Redis.from_url(server.url), prefix, location=server.url)


def server_cpu(client: Any) -> float:
    """The server's CPU seconds so far (user + system)."""
    info = client.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def commandstats(client: Any) -> Stats:
    info = client.info("commandstats")
    return {
        name.removeprefix("cmdstat_"): (int(value["calls"]), float(value["usec"]))
        for name, value in info.items()
    }


@dataclass
class Measure:
    """CPU and wall time of one measured stretch, divided per job."""

    jobs: int
    wall: float = 0.0
    client: float = 0.0
    server: float = 0.0
    commands: Stats = field(default_factory=dict)

    def report(self, title: str) -> None:
        per = 1e6 / max(self.jobs, 1)
        print(f"\n== {title}: {self.jobs} jobs")
        rate = self.jobs / self.wall
        print(f"wall          {self.wall * per:8.1f} us/job   ({rate:,.0f} jobs/s)")
        print(f"client CPU    {self.client * per:8.1f} us/job")
        print(f"server CPU    {self.server * per:8.1f} us/job  (INFO CPU)")
        rows = sorted(self.commands.items(), key=lambda item: -item[1][1])
        print("server commands (INFO COMMANDSTATS; evalsha includes the commands it runs):")
        for name, (calls, usec) in rows[:14]:
            print(
                f"  {name:<12} {calls / max(self.jobs, 1):7.2f} calls/job "
                f"{usec / max(self.jobs, 1):8.2f} us/job"
            )


@contextmanager
def measure(client: Any, jobs: int) -> Iterator[Measure]:
    """Measure the block: wall, this process's CPU, the server's CPU and commands."""
    result = Measure(jobs)
    client.config_resetstat()
    cpu0, wall0, server0 = time.process_time(), time.perf_counter(), server_cpu(client)
    yield result
    result.wall = time.perf_counter() - wall0
    result.client = time.process_time() - cpu0
    result.server = server_cpu(client) - server0
    result.commands = {
        name: stat
        for name, stat in commandstats(client).items()
        if name not in ("info", "config|resetstat")
    }


def profiled(call: Callable[[], Any], top: int = 25) -> Any:
    """Run ``call`` under cProfile and print its top functions by own time."""
    profile = cProfile.Profile()
    answer = profile.runcall(call)
    text = io.StringIO()
    stats = pstats.Stats(profile, stream=text)
    stats.sort_stats("tottime").print_stats(top)
    print("\n".join(line for line in text.getvalue().splitlines() if line.strip())[:6000])
    return answer


def wants_profile() -> bool:
    return "--profile" in sys.argv
