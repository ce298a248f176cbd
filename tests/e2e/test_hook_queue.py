"""Lifecycle hooks that ask for ``queue`` get the backend of the process, on every backend.

The plugin uses the queue from a thread of its own (not the hook's), reads the job
back and writes a stat through it, in the CLI (enqueue, cancel), in a worker (its main
thread, and its heartbeat thread for the jobs a sweep recovers) and in a supervisor
(a child it saw die). Each process is handed one queue, whatever the events; a
plugin's exit handler may still write through it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from queuectl_core.config import resolve
from queuectl_core.queue import Queue
from tests.e2e.conftest import Cli, install_plugin, wait_for

pytestmark = pytest.mark.e2e

SOURCE = """
import atexit
import os
import threading

from queuectl_core.hookspecs import hookimpl

QUEUES = []  # every queue a hook was handed, for the exit handler


def _use(queue, event, job_id=None):
    \"\"\"Use ``queue`` from another thread; one line: event, job, state read, pid, queue.\"\"\"
    QUEUES.append(queue)
    seen = {}

    def use():
        if job_id is None:
            seen["state"] = f"{sum(queue.counts().values())}-jobs"
        else:
            seen["state"] = queue.get(job_id).state.value
        queue.storage.add_stats({f"probe.{event}": 1.0})

    thread = threading.Thread(target=use, name="probe")
    thread.start()
    thread.join()
    hook_thread = "main" if threading.current_thread() is threading.main_thread() else "other"
    with open(os.environ["PROBE_LOG"], "a") as log:
        log.write(f"{event} {job_id} {seen['state']} {os.getpid()} {id(queue)} {hook_thread}\\n")


@atexit.register
def _at_exit():  # registered before any queue exists: runs before the queues close
    if QUEUES:
        QUEUES[-1].storage.add_stats({"probe.at_exit": 1.0})


"""
HOOK = """
@hookimpl
def queuectl_{event}({job}queue):
    _use(queue, "{event}"{job_id})
"""
JOB_EVENTS = ["enqueued", "cancelled", "started", "succeeded", "failed"]
PLUGIN = SOURCE + "".join(
    [HOOK.format(event=f"job_{event}", job="job, ", job_id=", job.id") for event in JOB_EVENTS]
    + [HOOK.format(event=f"worker_{event}", job="", job_id="") for event in ("started", "stopped")]
)


@pytest.fixture
def probe(cli: Cli, tmp_path: Path) -> Path:
    """Install the plugin for ``cli``; returns the file its hooks write."""
    install_plugin(tmp_path / "site", "probe", PLUGIN)
    cli.env["PYTHONPATH"] = str(tmp_path / "site")
    cli.env["PROBE_LOG"] = str(tmp_path / "probe.log")
    cli.config(backoff_base=2)
    return tmp_path / "probe.log"


def lines_of(probe: Path) -> list[list[str]]:
    """The probe's lines, split: event, job, state, pid, queue id, hook thread."""
    return [line.split() for line in probe.read_text().splitlines()] if probe.exists() else []


def stats(cli: Cli) -> dict[str, float]:
    """What the hooks wrote through their queues, read here from the backend."""
    with Queue.open(resolve(environ=cli.env), create=False) as queue:
        return queue.storage.stats("probe.")


def test_hooks_use_their_queue_from_another_thread(cli: Cli, probe: Path) -> None:
    cli.enqueue('{"id": "one", "command": "true"}')
    cli.enqueue('{"id": "later", "command": "true", "delay": "1h"}')
    cli.run("cancel", "later")
    cli.run("worker", "start", "--count", "1")
    cli.wait_state("one", "completed")
    cli.run("worker", "stop", "--timeout", "20")

    seen = {(event, job, state) for event, job, state, *_ in lines_of(probe)}
    assert seen == {
        ("job_enqueued", "one", "pending"),
        ("job_enqueued", "later", "pending"),
        ("job_cancelled", "later", "cancelled"),
        ("worker_started", "None", "2-jobs"),
        ("job_started", "one", "processing"),
        ("job_succeeded", "one", "completed"),
        ("worker_stopped", "None", "2-jobs"),
    }
    [worker_pid] = {pid for event, _, _, pid, _, _ in lines_of(probe) if event == "job_started"}
    in_worker = {queue for _, _, _, pid, queue, _ in lines_of(probe) if pid == worker_pid}
    assert len(in_worker) == 1  # one queue for every event of the process
    written = stats(cli)
    assert {name: written[name] for name in written if name != "probe.at_exit"} == {
        "probe.job_enqueued": 2.0,
        "probe.job_cancelled": 1.0,
        "probe.worker_started": 1.0,
        "probe.job_started": 1.0,
        "probe.job_succeeded": 1.0,
        "probe.worker_stopped": 1.0,
    }
    # the three commands that emitted events, and the worker, still wrote at exit
    assert written["probe.at_exit"] == 4.0


def test_the_events_of_recovered_jobs_get_a_queue_too(
    cli: Cli, probe: Path, tmp_path: Path
) -> None:
    cli.config(heartbeat_interval=0.5, lease_timeout=2)
    started = tmp_path / "started"
    command = f"if [ -e {started} ]; then exit 0; else touch {started}; exec sleep 30; fi"

    # a bare worker killed outright: a heartbeat sweep of the next worker recovers its job
    cli.enqueue("--id", "swept", "--command", command)
    bare = [sys.executable, "-m", "queuectl_core.worker", "--worker-id", "bare-1"]
    lone = subprocess.Popen(bare, env=cli.env, stderr=subprocess.DEVNULL)
    try:
        wait_for(started.exists, 10, "the first attempt to start")
        lone.kill()
        lone.wait()
        cli.run("worker", "start", "--count", "1")
        cli.wait_state("swept", "completed", timeout=30)
    finally:
        lone.kill()

    # a supervised worker killed outright: its supervisor recovers its job
    started.unlink()
    cli.enqueue("--id", "orphaned", "--command", command)
    wait_for(started.exists, 10, "the first attempt to start")
    [worker] = [worker for worker in cli.workers() if worker["id"] != "bare-1"]
    os.kill(worker["pid"], signal.SIGKILL)
    cli.wait_state("orphaned", "completed", timeout=30)
    cli.run("worker", "stop", "--timeout", "20")

    failed = [line for line in lines_of(probe) if line[0] == "job_failed"]
    assert sorted((job, state, thread) for _, job, state, _, _, thread in failed) == [
        ("orphaned", "failed", "main"),  # the supervisor's main thread
        ("swept", "failed", "other"),  # the worker's heartbeat thread
    ]
    swept_by = next(pid for _, job, _, pid, _, _ in failed if job == "swept")
    orphaned_by = next(pid for _, job, _, pid, _, _ in failed if job == "orphaned")
    assert swept_by == str(worker["pid"])  # the worker, later killed, that swept
    assert orphaned_by != str(worker["pid"])  # not the killed worker: its supervisor
    assert stats(cli)["probe.job_failed"] == 2.0
