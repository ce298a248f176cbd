"""A timeout or a cancel also stops the processes a job moved out of its process group
(``setsid``, daemonizing with ``nohup``), and the worker leaves no zombie of them."""

from __future__ import annotations

import random
import subprocess
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli, wait_for

pytestmark = pytest.mark.e2e


def running(command: str) -> list[str]:
    """Pids of live processes whose command line is exactly ``command``."""
    found = subprocess.run(["pgrep", "-fx", command], capture_output=True, text=True, check=False)
    return found.stdout.split()


def zombie_children(pid: int) -> list[str]:
    """The children of ``pid`` that ended and were not reaped."""
    zombies = []
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        for child in children.read_text().split():
            try:
                stat = Path(f"/proc/{child}/stat").read_text()
            except OSError:
                continue
            if stat.rpartition(")")[2].split()[0] == "Z":
                zombies.append(stat.partition(" ")[2].rpartition(")")[0] + f") pid {child}")
    return zombies


def reaped(cli: Cli, pid: int) -> str:
    """Why the worker's orphans are thought not reaped: the zombies, the jobs, the log."""
    log = (cli.root / "state" / "queuectl" / "workers.log").read_text()
    return f"zombies {zombie_children(pid)}; jobs {cli.json('list')}; log:\n{log}"


def escaping_job(seconds: int) -> str:
    """A job that starts two sleeps outside its process group, then waits."""
    return (
        f"setsid sleep {seconds} & "
        f"nohup setsid sh -c 'sleep {seconds + 1}' >/dev/null 2>&1 & "
        "sleep 60"
    )


def test_a_timeout_kills_what_left_the_process_group(cli: Cli) -> None:
    seconds = random.randrange(10_000, 20_000)  # no other sleep looks like ours
    cli.config(kill_grace=1)
    command = escaping_job(seconds)
    cli.enqueue("--id", "esc", "--command", command, "--timeout", "1s", "--max-retries", "0")
    cli.run("worker", "start")
    wait_for(lambda: running(f"sleep {seconds}") and running(f"sleep {seconds + 1}"), 30)
    job = cli.wait_state("esc", "dead")
    assert job["history"][0]["outcome"] == "timed_out"
    assert not running(f"sleep {seconds}")
    assert not running(f"sleep {seconds + 1}")
    [worker] = cli.workers()
    wait_for(lambda: not zombie_children(worker["pid"]), 5, lambda: reaped(cli, worker["pid"]))


def test_a_cancel_kills_what_left_the_process_group(cli: Cli) -> None:
    seconds = random.randrange(20_000, 30_000)
    cli.config(kill_grace=1)
    cli.enqueue("--id", "esc", "--command", escaping_job(seconds))
    cli.run("worker", "start")
    wait_for(lambda: running(f"sleep {seconds}") and running(f"sleep {seconds + 1}"), 30)
    cli.run("cancel", "esc")
    wait_for(lambda: not running(f"sleep {seconds}"), 10, "the setsid sleep to be killed")
    wait_for(lambda: not running(f"sleep {seconds + 1}"), 10, "the nohup sleep to be killed")
    [worker] = cli.workers()
    wait_for(lambda: not zombie_children(worker["pid"]), 5, lambda: reaped(cli, worker["pid"]))


def test_a_daemon_a_finished_job_started_is_reaped_when_it_ends(cli: Cli, tmp_path: Path) -> None:
    """A job may start a daemon on purpose: it is left running, and reaped once it
    exits (the worker is its subreaper)."""
    stop = tmp_path / "stop-the-daemon"
    cli.config(poll_interval="0.2")
    # it lives until told: the worker's once-a-second sweep must have seen it alive
    daemon = f"setsid sh -c 'until [ -e {stop} ]; do sleep 0.1; done' & echo started"
    cli.enqueue("--id", "daemon", "--command", daemon)
    cli.run("worker", "start")
    try:
        cli.wait_state("daemon", "completed")
        [worker] = cli.workers()
        children = lambda: [  # noqa: E731
            c
            for f in Path(f"/proc/{worker['pid']}/task").glob("*/children")
            for c in f.read_text().split()
        ]
        wait_for(children, 10, "the daemon to be re-parented to the worker")
        time.sleep(1.5)  # past a sweep that sees it alive
    finally:
        stop.touch()  # whatever failed, the daemon ends
    wait_for(lambda: not children(), 15, "the ended daemon to be reaped")
