"""One worker process, for real: SQLite in tmp_path, shell and Python jobs, signals."""

from __future__ import annotations

import itertools
import os
import signal
import sqlite3
import subprocess
import textwrap
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from queuectl_memory.storage import MemoryStorage

from queuectl_core import plugins
from queuectl_core.config import Location
from queuectl_core.job import Attempt, Job, Outcome, State, WorkerInfo
from queuectl_core.plugins import hookimpl
from queuectl_core.queue import Queue
from queuectl_core.storage import ClaimRequest, Storage
from queuectl_core.worker import Worker
from tests.conftest import Processes, wait_for

WORKER = "queuectl_core.worker"


def start_worker(
    processes: Processes, *args: str, worker_id: str = "w1"
) -> subprocess.Popen[bytes]:
    return processes.spawn(WORKER, "--worker-id", worker_id, *args, log=worker_id)


def registered(storage: Storage, worker_id: str = "w1") -> bool:
    return any(worker.id == worker_id for worker in storage.workers())


def in_state(queue: Queue, job_id: str, *states: State) -> bool:
    return queue.get(job_id).state in states


def pid_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def configure(storage: Storage, **settings: object) -> None:
    for name, value in settings.items():
        storage.save_setting(name, str(value))


@pytest.fixture
def handlers(tmp_path: Path, processes: Processes) -> str:
    """A module of Python handlers importable by the workers; returns its name."""
    (tmp_path / "worker_handlers.py").write_text(
        textwrap.dedent(
            """
            import time

            def nap(seconds):
                time.sleep(seconds)
                return "rested"
            """
        )
    )
    processes.env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(tmp_path), processes.env.get("PYTHONPATH")])
    )
    return "worker_handlers"


def test_a_job_completes_and_a_burst_worker_exits(queue: Queue, processes: Processes) -> None:
    queue.enqueue(id="hello", command="echo hello")
    worker = start_worker(processes, "--burst")

    assert worker.wait(timeout=30) == 0
    job = queue.get("hello")
    assert job.state is State.COMPLETED
    [attempt] = queue.attempts("hello")
    assert (attempt.outcome, attempt.worker_id, attempt.stdout) == (
        Outcome.SUCCEEDED,
        "w1",
        b"hello\n",
    )
    assert queue.workers() == []  # unregistered on exit
    log = processes.log("w1")
    assert "job hello attempt 1 succeeded" in log
    assert " w1 " in log.splitlines()[0]  # lines carry the worker id


def test_burst_worker_does_not_wait_for_a_job_due_later(queue: Queue, processes: Processes) -> None:
    queue.enqueue(id="later", command="true", delay="1h")
    worker = start_worker(processes, "--burst")

    assert worker.wait(timeout=30) == 0
    assert queue.get("later").state is State.PENDING


def test_a_failed_attempt_is_retried_after_backoff_base_seconds(
    queue: Queue, storage: Storage, processes: Processes
) -> None:
    queue.enqueue(id="fails", command="echo oops >&2; exit 3")
    worker = start_worker(processes, "--burst")  # exits: the retry is not due yet

    assert worker.wait(timeout=30) == 0
    job = queue.get("fails")
    [attempt] = queue.attempts("fails")
    assert job.state is State.FAILED
    assert job.last_error == "exit code 3"
    assert (attempt.outcome, attempt.exit_code, attempt.stderr) == (Outcome.FAILED, 3, b"oops\n")
    assert attempt.finished_at is not None
    assert job.next_run_at == pytest.approx(attempt.finished_at + 2.0)  # backoff_base 2
    assert "job fails attempt 1 failed: exit code 3; retry in 2.00s" in processes.log("w1")


def test_a_failing_job_backs_off_exponentially_then_is_dead(
    queue: Queue, storage: Storage, processes: Processes
) -> None:
    configure(storage, backoff_base=1.3, max_retries=2)
    queue.enqueue(id="fails", command="exit 1")
    start_worker(processes)

    wait_for(lambda: in_state(queue, "fails", State.DEAD), timeout=30, what="dead")
    attempts = queue.attempts("fails")
    assert [a.outcome for a in attempts] == [Outcome.FAILED] * 3
    for number, (before, after) in enumerate(itertools.pairwise(attempts), 1):
        assert before.finished_at is not None
        assert after.started_at - before.finished_at >= 1.3**number - 0.01
    assert queue.get("fails").attempts == 3
    assert "dead after 3 attempts" in processes.log("w1")


def test_a_settings_change_applies_to_the_next_job_without_restart(
    queue: Queue, storage: Storage, processes: Processes
) -> None:
    configure(storage, backoff_base=1000)  # no retry while the test runs
    start_worker(processes)
    queue.enqueue(id="first", command="exit 1")
    wait_for(lambda: in_state(queue, "first", State.FAILED), what="first failed")

    configure(storage, max_retries=0)
    queue.enqueue(id="second", command="exit 1")

    wait_for(lambda: in_state(queue, "second", State.DEAD), what="second dead")
    assert len(queue.attempts("second")) == 1


def test_an_idle_worker_picks_up_a_new_job_at_once(
    queue: Queue, storage: Storage, processes: Processes
) -> None:
    configure(storage, poll_interval=30)
    start_worker(processes)
    queue.enqueue(id="first", command="true")
    wait_for(lambda: in_state(queue, "first", State.COMPLETED), what="first job")
    # the worker found nothing more and went idle: only a wake-up can bring it back in time

    queue.enqueue(id="quick", command="true")

    wait_for(lambda: in_state(queue, "quick", State.COMPLETED), timeout=5, what="pickup")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_stop_signal_lets_the_running_job_finish(
    queue: Queue, storage: Storage, processes: Processes, signum: signal.Signals
) -> None:
    queue.enqueue(id="slow", command="sleep 1; echo done")
    worker = start_worker(processes)
    wait_for(lambda: in_state(queue, "slow", State.PROCESSING), what="job running")

    worker.send_signal(signum)

    assert worker.wait(timeout=30) == 0
    assert queue.get("slow").state is State.COMPLETED
    assert queue.attempts("slow")[0].stdout == b"done\n"
    assert queue.workers() == []


def test_an_idle_worker_stops_at_once_on_sigterm(
    queue: Queue, storage: Storage, processes: Processes
) -> None:
    configure(storage, poll_interval=30)
    worker = start_worker(processes)
    queue.enqueue(id="first", command="true")
    wait_for(lambda: in_state(queue, "first", State.COMPLETED), what="first job")

    started = time.monotonic()
    worker.send_signal(signal.SIGTERM)

    assert worker.wait(timeout=30) == 0
    assert time.monotonic() - started < 5


def test_two_signals_at_once_stop_an_idle_worker_at_once(
    queue: Queue, storage: Storage, processes: Processes
) -> None:
    """The second arrives while the first is pending: the kernel hands it to another
    thread, which must not swallow it (the heartbeat thread blocks our signals)."""
    configure(storage, poll_interval=30)
    worker = start_worker(processes)
    queue.enqueue(id="first", command="true")
    wait_for(lambda: in_state(queue, "first", State.COMPLETED), what="first job")

    started = time.monotonic()
    worker.send_signal(signal.SIGTERM)
    worker.send_signal(signal.SIGINT)

    assert worker.wait(timeout=30) == 0
    assert time.monotonic() - started < 5


def test_a_second_sigterm_puts_the_job_back_without_using_an_attempt(
    queue: Queue, processes: Processes
) -> None:
    queue.enqueue(id="long", command="sleep 60")
    worker = start_worker(processes)
    wait_for(lambda: in_state(queue, "long", State.PROCESSING), what="job running")

    worker.send_signal(signal.SIGTERM)
    wait_for(lambda: "stopping after the running job" in processes.log("w1"), what="stopping")
    worker.send_signal(signal.SIGTERM)

    assert worker.wait(timeout=30) == 0
    job = queue.get("long")
    assert (job.state, job.attempts) == (State.PENDING, 0)
    [attempt] = queue.attempts("long")
    assert attempt.outcome is Outcome.INTERRUPTED
    assert attempt.error == "interrupted: forced stop"


def test_a_forced_stop_interrupts_an_in_process_python_handler(
    queue: Queue, processes: Processes, handlers: str
) -> None:
    queue.enqueue(id="nap", type="python", command=f"{handlers}:nap", payload={"seconds": 60})
    worker = start_worker(processes)
    wait_for(lambda: in_state(queue, "nap", State.PROCESSING), what="job running")

    worker.send_signal(signal.SIGTERM)
    wait_for(lambda: "stopping after the running job" in processes.log("w1"), what="stopping")
    worker.send_signal(signal.SIGTERM)

    assert worker.wait(timeout=30) == 0
    job = queue.get("nap")
    assert (job.state, job.attempts) == (State.PENDING, 0)
    assert queue.attempts("nap")[0].outcome is Outcome.INTERRUPTED


def test_cancelling_a_running_shell_job_stops_its_process(
    queue: Queue, storage: Storage, processes: Processes, tmp_path: Path
) -> None:
    configure(storage, heartbeat_interval=0.1, lease_timeout=1)
    pid_file = tmp_path / "job.pid"
    queue.enqueue(id="victim", command=f"echo $$ > {pid_file}; exec sleep 60")
    start_worker(processes)
    pid = int(
        wait_for(lambda: pid_file.read_text().strip() if pid_file.exists() else None, what="pid")
    )

    queue.cancel("victim")

    wait_for(lambda: pid_gone(pid), timeout=5, what="the job's process to end")
    assert queue.get("victim").state is State.CANCELLED
    assert "cancelled or lease lost" in processes.log("w1")
    queue.enqueue(id="next", command="true")  # the worker carries on
    wait_for(lambda: in_state(queue, "next", State.COMPLETED), what="next job")


def test_cancelling_a_running_python_job_interrupts_the_handler(
    queue: Queue, storage: Storage, processes: Processes, handlers: str
) -> None:
    configure(storage, heartbeat_interval=0.1, lease_timeout=1)
    queue.enqueue(id="nap", type="python", command=f"{handlers}:nap", payload={"seconds": 60})
    start_worker(processes)
    wait_for(lambda: in_state(queue, "nap", State.PROCESSING), what="job running")

    queue.cancel("nap")
    queue.enqueue(id="next", command="true")

    wait_for(lambda: in_state(queue, "next", State.COMPLETED), timeout=5, what="next job")
    assert queue.get("nap").state is State.CANCELLED


def test_a_job_whose_lease_expired_is_recovered_as_lost_and_retried(
    queue: Queue, storage: Storage, processes: Processes
) -> None:
    configure(storage, heartbeat_interval=0.1, backoff_base=1.1)
    queue.enqueue(id="orphan", command="true")
    now = time.time()
    assert (
        storage.claim(ClaimRequest("ghost", None, now, lease_until=now - 1)) is not None
    )  # a dead worker

    start_worker(processes)

    wait_for(lambda: in_state(queue, "orphan", State.COMPLETED), what="retry completed")
    lost, retried = queue.attempts("orphan")
    assert (lost.outcome, lost.error, lost.worker_id) == (Outcome.LOST, "worker lost", "ghost")
    assert (retried.outcome, retried.worker_id) == (Outcome.SUCCEEDED, "w1")
    assert "job orphan attempt 1 lost: worker lost; retry in" in processes.log("w1")


def test_a_storage_outage_is_logged_once_and_survived(
    queue: Queue, storage: Storage, processes: Processes, location: Location
) -> None:
    configure(storage, poll_interval=0.05, heartbeat_interval=60)
    processes.env["QUEUECTL_SQLITE_BUSY_TIMEOUT"] = "0.1"  # the worker gives up on locks fast
    queue.enqueue(id="after", command="true", delay="2s")
    worker = start_worker(processes)
    wait_for(lambda: registered(storage), what="worker registered")

    with sqlite3.connect(location.options["path"], isolation_level=None) as blocker:
        blocker.execute("BEGIN IMMEDIATE")  # hold the write lock: the due job's claim fails
        wait_for(lambda: "storage error" in processes.log("w1"), what="storage error logged")
        time.sleep(0.5)  # the outage lasts a while: the worker retries several times
        blocker.execute("ROLLBACK")

    wait_for(lambda: in_state(queue, "after", State.COMPLETED), what="job after the outage")
    log = processes.log("w1")
    assert log.count("storage error") == 1
    assert "storage available again" in log
    assert worker.poll() is None


def test_an_idle_worker_stays_small(storage: Storage, processes: Processes) -> None:
    worker = start_worker(processes)
    wait_for(lambda: registered(storage), what="worker registered")
    status = Path(f"/proc/{worker.pid}/status")
    if not status.exists():
        pytest.skip("needs /proc")
    rss_kb = next(
        int(line.split()[1]) for line in status.read_text().splitlines() if line.startswith("VmRSS")
    )
    assert rss_kb < 35 * 1024


class EventRecorder:
    """A plugin that records every lifecycle event a worker emits."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    @hookimpl
    def queuectl_worker_started(self, worker: WorkerInfo) -> None:
        self.events.append(("worker_started", {"worker": worker}))
        raise RuntimeError("a broken plugin")  # logged; the worker carries on

    @hookimpl
    def queuectl_job_started(self, job: Job, attempt: int, worker: WorkerInfo) -> None:
        self.events.append(("job_started", {"job": job, "attempt": attempt}))

    @hookimpl
    def queuectl_job_succeeded(self, job: Job, attempt: Attempt) -> None:
        self.events.append(("job_succeeded", {"job": job, "attempt": attempt}))

    @hookimpl
    def queuectl_job_failed(self, job: Job, attempt: Attempt, retry_at: datetime) -> None:
        self.events.append(("job_failed", {"job": job, "attempt": attempt, "retry_at": retry_at}))

    @hookimpl
    def queuectl_job_dead(self, job: Job, attempt: Attempt | None) -> None:
        self.events.append(("job_dead", {"job": job, "attempt": attempt}))

    @hookimpl
    def queuectl_worker_stopped(self, worker: WorkerInfo) -> None:
        self.events.append(("worker_stopped", {"worker": worker}))

    def named(self, name: str) -> list[dict[str, Any]]:
        return [args for event, args in self.events if event == name]


@pytest.fixture
def recorder() -> Iterator[EventRecorder]:
    recorder = EventRecorder()
    manager = plugins.get_plugin_manager()
    manager.register(recorder, name="event-recorder")
    yield recorder
    manager.unregister(recorder)


def test_lifecycle_events_carry_the_outcome_without_reading_the_store(
    recorder: EventRecorder,
) -> None:
    storage = MemoryStorage()
    queue = Queue(storage)
    queue.enqueue(id="ok", command="echo hi")
    queue.enqueue(id="retry", command="exit 1", max_retries=1)
    queue.enqueue(id="dead", command="exit 2", max_retries=0)

    assert Worker(storage, "unit", burst=True).run() == 0  # in this process

    names = [event for event, _ in recorder.events]
    assert names[0] == "worker_started" and names[-1] == "worker_stopped"
    assert [args["job"].id for args in recorder.named("job_started")] == ["ok", "retry", "dead"]
    [succeeded] = recorder.named("job_succeeded")
    assert succeeded["job"].state is State.COMPLETED
    assert (succeeded["attempt"].stdout, succeeded["attempt"].worker_id) == (b"hi\n", "unit")
    [failed] = recorder.named("job_failed")
    stored = queue.get("retry")
    assert failed["job"] == stored  # built from the claim, yet what the store holds
    assert failed["retry_at"] == datetime.fromtimestamp(stored.next_run_at, tz=timezone.utc)
    assert failed["attempt"] == queue.attempts("retry")[0]
    [dead] = recorder.named("job_dead")
    assert (dead["job"].state, dead["attempt"].exit_code) == (State.DEAD, 2)
