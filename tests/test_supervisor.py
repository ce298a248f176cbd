"""Many worker processes: supervision, crash recovery, detaching and stopping."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from queuectl_core.config import Location
from queuectl_core.errors import WorkerError
from queuectl_core.job import Outcome, State, WorkerInfo
from queuectl_core.queue import Queue
from queuectl_core.storage import ClaimRequest, Storage
from queuectl_core.worker.launch import start_detached
from queuectl_core.worker.pids import pid_alive
from queuectl_core.worker.shutdown import stop_workers
from queuectl_core.worker.supervisor import run_foreground
from tests.conftest import Processes, wait_for

SUPERVISOR = "queuectl_core.worker.supervisor"


def start_supervisor(processes: Processes, *args: str) -> subprocess.Popen[bytes]:
    return processes.spawn(SUPERVISOR, *args, log="supervisor")


def in_state(queue: Queue, job_id: str, *states: State) -> bool:
    return queue.get(job_id).state in states


def registry(storage: Storage) -> dict[str, WorkerInfo]:
    return {worker.id: worker for worker in storage.workers()}


@pytest.fixture
def detached(storage: Storage) -> Iterator[None]:
    """Whatever a test started detached is stopped (forced) at the end."""
    yield
    with contextlib.suppress(WorkerError):
        stop_workers(storage, timeout=0, force=True)


def test_every_job_runs_exactly_once_across_many_workers(
    queue: Queue, processes: Processes, tmp_path: Path
) -> None:
    runs = tmp_path / "runs.txt"
    ids = [f"job-{n:03d}" for n in range(40)]
    queue.enqueue_many({"id": i, "command": f"echo {i} >> {runs}; sleep 0.05"} for i in ids)

    supervisor = start_supervisor(processes, "--count", "4", "--burst")

    assert supervisor.wait(timeout=120) == 0  # burst workers exit 0: not restarted
    assert sorted(runs.read_text().split()) == ids
    assert all(job.state is State.COMPLETED for job in queue.list_jobs(limit=100))
    ran_on = {attempt.worker_id for i in ids for attempt in queue.attempts(i)}
    assert len(ran_on) >= 2
    assert queue.workers() == []


def test_a_killed_workers_job_is_recovered_at_once_and_it_is_restarted(
    queue: Queue, storage: Storage, processes: Processes, tmp_path: Path
) -> None:
    storage.save_setting("backoff_base", "1.1")  # lease_timeout stays 30 s: no sweep helps
    marker, job_pid = tmp_path / "ran-once", tmp_path / "job.pid"
    queue.enqueue(
        id="crashy",
        command=f"if [ -e {marker} ]; then echo second; "
        f"else touch {marker}; echo $$ > {job_pid}; exec sleep 60; fi",
    )
    supervisor = start_supervisor(processes, "--count", "2")
    wait_for(lambda: job_pid.exists() and job_pid.read_text().strip(), what="job running")
    victim = registry(storage)[str(queue.get("crashy").worker_id)]

    os.kill(victim.pid, signal.SIGKILL)
    try:
        wait_for(lambda: in_state(queue, "crashy", State.COMPLETED), what="retry completed")
    finally:  # the killed worker's job process is an orphan now
        with contextlib.suppress(ProcessLookupError, ValueError, FileNotFoundError):
            os.kill(int(job_pid.read_text()), signal.SIGKILL)

    lost, retried = queue.attempts("crashy")
    assert (lost.outcome, lost.error, lost.worker_id) == (Outcome.LOST, "worker lost", victim.id)
    assert (retried.outcome, retried.stdout) == (Outcome.SUCCEEDED, b"second\n")
    wait_for(
        lambda: victim.id in registry(storage) and registry(storage)[victim.id].pid != victim.pid,
        what="the worker restarted",
    )
    assert f"worker {victim.id} died (signal SIGKILL); recovered 1 job(s)" in processes.log(
        "supervisor"
    )
    supervisor.send_signal(signal.SIGTERM)
    assert supervisor.wait(timeout=30) == 0
    assert queue.workers() == []


def test_a_second_signal_to_the_supervisor_forces_the_workers_to_stop(
    queue: Queue, processes: Processes
) -> None:
    queue.enqueue(id="long", command="sleep 60")
    supervisor = start_supervisor(processes, "--count", "2")
    wait_for(lambda: in_state(queue, "long", State.PROCESSING), what="job running")

    supervisor.send_signal(signal.SIGTERM)
    wait_for(lambda: "stopping workers" in processes.log("supervisor"), what="stopping")
    supervisor.send_signal(signal.SIGTERM)

    assert supervisor.wait(timeout=30) == 0
    job = queue.get("long")
    assert (job.state, job.attempts) == (State.PENDING, 0)
    assert queue.workers() == []


def test_one_worker_runs_in_the_calling_process(location: Location, queue: Queue) -> None:
    queue.enqueue(id="here", command="true")

    assert run_foreground(location, 1, None, burst=True) == 0

    [attempt] = queue.attempts("here")
    assert attempt.worker_id == f"{socket.gethostname().split('.')[0]}-{os.getpid()}-1"
    assert queue.get("here").state is State.COMPLETED


def test_start_detached_returns_once_registered_and_stop_waits_for_exit(
    location: Location, storage: Storage, queue: Queue, tmp_path: Path, detached: None
) -> None:
    log_file = tmp_path / "logs" / "workers.log"
    started = start_detached(location, 2, ["default"], log_file)

    assert len(started) == 2
    assert set(registry(storage)) == {worker.id for worker in started}
    assert all(worker.queues == ("default",) for worker in started)
    queue.enqueue(id="busy", command="sleep 0.5")
    wait_for(lambda: in_state(queue, "busy", State.PROCESSING), what="job running")

    stopped = stop_workers(storage, timeout=30, force=False)

    assert {worker.id for worker in stopped} == {worker.id for worker in started}
    assert storage.workers() == []
    assert not any(pid_alive(worker.pid) for worker in started)
    assert queue.get("busy").state is State.COMPLETED  # a graceful stop lets it finish
    log = log_file.read_text()
    assert all(f" {worker.id} started" in log for worker in started)


def test_a_forced_stop_puts_the_running_job_back(
    location: Location, storage: Storage, queue: Queue, tmp_path: Path, detached: None
) -> None:
    [worker] = start_detached(location, 1, None, tmp_path / "workers.log")
    assert worker.extra["supervisor_pid"] != worker.pid  # even one worker is supervised
    queue.enqueue(id="long", command="sleep 60")
    wait_for(lambda: in_state(queue, "long", State.PROCESSING), what="job running")

    began = time.monotonic()
    stop_workers(storage, timeout=None, force=True)

    assert time.monotonic() - began < 15
    job = queue.get("long")
    assert (job.state, job.attempts) == (State.PENDING, 0)


def test_a_graceful_stop_is_forced_after_its_timeout(
    location: Location, storage: Storage, queue: Queue, tmp_path: Path, detached: None
) -> None:
    start_detached(location, 1, None, tmp_path / "workers.log")
    queue.enqueue(id="long", command="sleep 60")
    wait_for(lambda: in_state(queue, "long", State.PROCESSING), what="job running")

    stop_workers(storage, timeout=0.5, force=False)

    assert storage.workers() == []
    assert queue.get("long").state is State.PENDING


def test_stop_cleans_up_a_crashed_worker_and_recovers_its_job(
    storage: Storage, queue: Queue
) -> None:
    finished = subprocess.Popen(["true"])
    finished.wait()  # a pid that no longer runs
    queue.enqueue(id="held", command="true")
    now = time.time()
    crashed = WorkerInfo("crashed", socket.gethostname(), finished.pid, (), now, now)
    storage.register_worker(crashed)
    assert storage.claim(ClaimRequest("crashed", None, now, now + 300)) is not None

    stopped = stop_workers(storage, timeout=5, force=False)

    assert [worker.id for worker in stopped] == ["crashed"]
    assert storage.workers() == []
    job = queue.get("held")
    assert (job.state, job.last_error) == (State.FAILED, "worker lost")


def test_start_detached_reports_a_supervisor_that_cannot_start(
    location: Location, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    location.spec()  # this process loads its plugins; the child, under the allowlist, none
    monkeypatch.setenv("QUEUECTL_PLUGINS", "none-such")

    with pytest.raises(WorkerError, match=r"exited at start .*unknown storage backend 'sqlite'"):
        start_detached(location, 1, None, tmp_path / "workers.log")
