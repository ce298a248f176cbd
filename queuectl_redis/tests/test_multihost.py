"""Workers on several hosts sharing one Redis: the real ``queuectl`` command throughout.

Each simulated host is its own environment (HOME, XDG directories, and
``QUEUECTL_HOSTNAME``) pointing at the same Redis URL and prefix, the way separate
machines would. A fourth identity, ``admin``, runs the operator's commands: no worker
is "local" to it, so ``worker stop`` can reach them only through the backend.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import closing, contextmanager, suppress
from pathlib import Path
from typing import Any

import pytest
from queuectl_redis.testing.servers import RedisServer

from queuectl_core.config import Location
from queuectl_core.testing import QueuectlCli, pid_alive, wait_for

pytestmark = pytest.mark.e2e

#: A shell job that records, once it has run, which job it was and which worker ran it.
RECORD = 'echo "$QUEUECTL_JOB_ID $QUEUECTL_WORKER_ID" >> {path}'
#: Runtime settings that keep the test quick: stop requests and lost leases noticed
#: within a fraction of a second, retries after 0.2 s instead of 2 s.
QUICK_SETTINGS = {"heartbeat_interval": "0.2s", "lease_timeout": "5s", "backoff_max": "0.2s"}


class Host(QueuectlCli):
    """One simulated machine: a host name, private directories, the shared namespace."""

    def __init__(self, name: str, root: Path, redis: dict[str, str]) -> None:
        backend = {**Location("redis", redis).environ(), "QUEUECTL_HOSTNAME": name}
        super().__init__(root / name, backend)

    def start_workers(self, count: int, *queues: str) -> list[dict[str, Any]]:
        flags = ["--queue", ",".join(queues)] if queues else []
        started: list[dict[str, Any]] = self.json("worker", "start", "--count", str(count), *flags)
        return started

    def log(self) -> str:
        path = self.root / "state" / "queuectl" / "workers.log"
        return path.read_text(errors="replace") if path.exists() else "(no log)"


class Fleet:
    """The hosts of one test, and every worker process they started (killed at teardown)."""

    def __init__(self, root: Path, redis: dict[str, str]) -> None:
        self.root = root
        self.redis = redis
        self.admin = Host("admin", root, redis)
        self.pids: set[int] = set()

    def host(self, name: str) -> Host:
        return Host(name, self.root, self.redis)

    def start(self, host: Host, count: int, *queues: str) -> list[dict[str, Any]]:
        started = host.start_workers(count, *queues)
        self.remember(started)
        return started

    def remember(self, workers: list[dict[str, Any]]) -> None:
        for worker in workers:
            self.pids.add(worker["pid"])
            self.pids.add(worker["extra"]["supervisor_pid"])

    def counts(self) -> dict[str, int]:
        states: dict[str, int] = self.admin.json("status")["states"]
        return states

    def wait_completed(self, total: int, timeout: float) -> dict[str, int]:
        def done() -> dict[str, int] | None:
            states = self.counts()
            return states if states["completed"] >= total else None

        return wait_for(done, timeout, f"{total} completed jobs", interval=0.2)

    def kill_everything(self) -> None:
        for pid in self.pids:
            with suppress(OSError):
                os.killpg(pid, signal.SIGKILL)  # a supervisor leads its session
            with suppress(OSError):
                os.kill(pid, signal.SIGKILL)


@contextmanager
def new_fleet(root: Path, redis: dict[str, str]) -> Iterator[Fleet]:
    """A fleet with quick settings; whatever it started is killed on the way out."""
    fleet = Fleet(root, redis)
    try:
        for name, value in QUICK_SETTINGS.items():
            fleet.admin.run("config", "set", name, value)
        yield fleet
    finally:
        fleet.kill_everything()


@pytest.fixture
def fleet(tmp_path: Path, redis_options: dict[str, str]) -> Iterator[Fleet]:
    with new_fleet(tmp_path, redis_options) as fleet:
        yield fleet


def enqueue_jobs(admin: Host, ids: list[str], record: Path, **fields: Any) -> None:
    lines = (
        json.dumps({"id": job_id, "command": RECORD.format(path=record), **fields})
        for job_id in ids
    )
    admin.run("enqueue", "--file", "-", input="\n".join(lines) + "\n")


def records(path: Path) -> list[tuple[str, str]]:
    """``(job id, worker id)`` for every run a job recorded."""
    if not path.exists():
        return []
    return [(line.split()[0], line.split()[1]) for line in path.read_text().splitlines()]


def test_three_hosts_share_one_queue_and_stop_through_the_backend(fleet: Fleet) -> None:
    hosts = [fleet.host(name) for name in ("host-a", "host-b", "host-c")]
    host_b = hosts[1]
    for host in hosts:  # only host-b serves the "slow" queue
        fleet.start(host, 2, "default", *(("slow",) if host is host_b else ()))

    registered = fleet.admin.json("worker", "list")
    assert Counter(worker["host"] for worker in registered) == {
        "host-a": 2,
        "host-b": 2,
        "host-c": 2,
    }
    for worker in registered:
        assert worker["id"].startswith(f"{worker['host']}-"), worker
        assert pid_alive(worker["pid"]), worker  # the pid is the worker's real process

    # 3,000 jobs: each runs exactly once, and every host takes a share
    record = fleet.root / "ran.txt"
    ids = [f"job-{n:04d}" for n in range(3000)]
    enqueue_jobs(fleet.admin, ids, record)
    states = fleet.wait_completed(len(ids), timeout=40)
    ran = records(record)
    assert sorted(job_id for job_id, _ in ran) == ids  # each once: no job lost, none twice
    assert {worker.rsplit("-", 2)[0] for _, worker in ran} == {"host-a", "host-b", "host-c"}
    assert states == {**{state: 0 for state in states}, "completed": len(ids)}
    status = fleet.admin.json("status")
    assert status["total"] == len(ids)
    assert status["queues"]["default"]["completed"] == len(ids)
    assert status["live_workers"] == 6

    # a host-b worker SIGKILLed mid-job: its supervisor recovers the job at once
    slow_record = fleet.root / "slow.txt"
    first_try_sleeps = f'[ "$QUEUECTL_ATTEMPT" = 1 ] && sleep 60; {RECORD.format(path=slow_record)}'
    fleet.admin.run("enqueue", "--id", "slow-1", "--queue", "slow", "--command", first_try_sleeps)

    def runner() -> dict[str, Any] | None:
        workers = fleet.admin.json("worker", "list")
        return next((w for w in workers if "slow-1" in w["current_jobs"]), None)

    victim = wait_for(runner, 10, "a worker running slow-1")
    assert victim["host"] == "host-b"
    os.kill(victim["pid"], signal.SIGKILL)
    killed_at = time.monotonic()

    def completed() -> dict[str, Any] | None:
        job: dict[str, Any] = fleet.admin.json("show", "slow-1")
        return job if job["state"] == "completed" else None

    job = wait_for(completed, 15, "slow-1 to be recovered and completed")
    assert time.monotonic() - killed_at < 5  # before its lease could expire: no sweep needed
    assert job["attempts"] == 2
    first, second = job["history"]
    assert first["worker_id"] == victim["id"]
    assert first["outcome"] == "lost" and first["error"] == "worker lost"
    assert second["outcome"] == "succeeded"
    assert [job_id for job_id, _ in records(slow_record)] == ["slow-1"]

    def restarted() -> list[dict[str, Any]] | None:
        workers: list[dict[str, Any]] = fleet.admin.json("worker", "list")
        again = [w for w in workers if w["id"] == victim["id"] and w["pid"] != victim["pid"]]
        return workers if again and len(workers) == 6 else None

    before = wait_for(restarted, 10, f"host-b's supervisor to restart {victim['id']}")
    fleet.remember(before)

    # the operator's host has no local worker: the stop goes through the backend
    started = time.monotonic()
    stopped = fleet.admin.json("worker", "stop", "--timeout", "20s")
    took = time.monotonic() - started
    assert {worker["id"] for worker in stopped} == {worker["id"] for worker in before}
    assert fleet.admin.json("worker", "list") == []
    assert took < 10, f"worker stop took {took:.1f}s"
    wait_for(lambda: not any(pid_alive(pid) for pid in fleet.pids), 10, "every process to exit")
    for host in hosts:  # each worker saw the request at a heartbeat; no signal reached it
        log = host.log()
        assert log.count("stop requested: stopping after the running job") == 2, log
        assert "SIGTERM" not in log, log


def test_workers_ride_out_a_redis_crash_and_lose_no_job(
    tmp_path: Path, fresh_redis_server: RedisServer
) -> None:
    """Redis is SIGKILLed mid-run and started again over its append-only file.

    What the design guarantees here: with ``appendfsync always`` Redis writes and
    fsyncs a script's effects before it answers, so every change a worker was told
    about survives the crash. A change in flight either was lost with the server
    (never acknowledged: the client sends it again once the server is back, and it
    applies) or was stored before the answer was lost (sent again, the fenced finish
    finds its token gone and changes nothing; a claim made by that lost answer is
    held by no running attempt and is recovered as lost when its lease expires, its
    command never having started). Leases outlive the outage (``lease_timeout`` 5 s,
    renewed every 0.2 s), so no running job is taken away from its worker. Hence every
    job's command runs exactly once. With ``everysec`` a crash of the *machine* (not
    just the process) could lose up to a second of acknowledged changes, and then a
    job could run twice (at least once); this test crashes only the process.
    """
    server = fresh_redis_server
    with closing(server.client()) as client:
        client.config_set("appendfsync", "always")
        assert client.config_get("appendfsync") == {"appendfsync": "always"}
    server.appendfsync = "always"  # and so after the restart, from its config file
    redis = {"url": server.url, "prefix": "multihost"}
    with new_fleet(tmp_path, redis) as fleet:
        hosts = [fleet.host("host-a"), fleet.host("host-b")]
        for host in hosts:
            fleet.start(host, 2)
        pids = {worker["pid"] for worker in fleet.admin.json("worker", "list")}
        record = tmp_path / "ran.txt"
        ids = [f"job-{n:04d}" for n in range(1500)]
        enqueue_jobs(fleet.admin, ids, record)
        wait_for(lambda: len(records(record)) >= 300, 20, "300 jobs to run before the crash")

        server.kill()
        seen = wait_for(
            lambda: any("storage error" in host.log() for host in hosts),
            10,
            "a worker to notice that Redis is gone",
            interval=0.02,
        )
        assert seen
        server.restart()

        states = fleet.wait_completed(len(ids), timeout=30)
        assert states == {**{state: 0 for state in states}, "completed": len(ids)}
        ran = Counter(job_id for job_id, _ in records(record))
        assert sorted(ran) == ids  # none lost
        assert [job_id for job_id, times in ran.items() if times > 1] == []  # none twice
        # the same worker processes kept going: none died, none was restarted
        assert {worker["pid"] for worker in fleet.admin.json("worker", "list")} == pids
        assert any("storage available again" in host.log() for host in hosts)
