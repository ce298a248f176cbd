"""Live output: ``logs`` of a running job, ``logs --follow`` from another process, and
the output a stopped or lost attempt keeps, through the real command."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli, wait_for

pytestmark = pytest.mark.e2e

#: Prints a line every 0.2 s for 2 s, then leaves a file saying it ended.
TEN_LINES = 'i=0; while [ $i -lt 10 ]; do i=$((i+1)); echo "line $i"; sleep 0.2; done; touch {done}'
EXPECTED = "".join(f"line {n}\n" for n in range(1, 11))


def printed(cli: Cli, job_id: str, *args: str) -> str:
    return cli.run("logs", job_id, *args).stdout


def test_follow_streams_lines_while_the_job_runs_and_exits_with_its_status(
    cli: Cli, tmp_path: Path
) -> None:
    done = tmp_path / "done"
    cli.enqueue("--id", "talky", "--command", TEN_LINES.format(done=done))
    follower = cli.popen("logs", "talky", "--follow")  # waits for the job to start
    try:
        cli.run("worker", "start", "--count", "1")
        assert follower.stdout is not None and follower.stderr is not None
        assert follower.stdout.readline() == "line 1\n"
        assert not done.exists(), "the first line came only once the job had ended"
        # read(), not communicate(): that would skip the lines readline() buffered
        rest, errors = follower.stdout.read(), follower.stderr.read()
        follower.wait(timeout=30)
    finally:
        follower.kill()
        follower.wait()
    assert "line 1\n" + rest == EXPECTED
    assert follower.returncode == 0, errors
    assert done.exists()
    # an ended attempt: its output at once, and its status
    assert cli.run("logs", "talky", "-f").stdout == EXPECTED

    cli.enqueue("--id", "sad", "--max-retries", "0", "--command", "echo a; echo b >&2; exit 3")
    failed = cli.run("logs", "sad", "--follow", check=False)
    assert (failed.returncode, failed.stdout) == (1, "a\n")
    assert failed.stderr.splitlines() == ["b", "[attempt 1 failed: exit code 3]"]


def test_logs_of_a_running_job_shows_what_it_printed_so_far(cli: Cli) -> None:
    cli.run("worker", "start", "--count", "1")
    cli.enqueue("--id", "slow", "--command", "echo first; echo oops >&2; sleep 30; echo never")
    cli.wait_state("slow", "processing")
    wait_for(lambda: printed(cli, "slow") == "first\n", 10, "the running job's output")
    assert printed(cli, "slow", "--stderr") == "oops\n"
    [attempt] = cli.job("slow")["history"]
    assert (attempt["outcome"], attempt["stdout_bytes"]) == ("running", len("first\n"))
    cli.run("cancel", "slow")
    assert printed(cli, "slow") == "first\n"  # the cancelled attempt keeps it


def test_follow_takes_no_json(cli: Cli) -> None:
    cli.enqueue("--id", "a", "--command", "true")
    done = cli.run("logs", "a", "--follow", "--json", check=False)
    assert done.returncode == 2 and done.stdout == ""
    assert "--follow" in done.stderr and "Traceback" not in done.stderr


def test_a_forced_stop_keeps_the_output_printed_before_it(cli: Cli) -> None:
    cli.config(kill_grace=0.5)
    cli.run("worker", "start", "--count", "1")
    cli.enqueue("--id", "long", "--command", "echo before; sleep 30; echo after")
    wait_for(lambda: printed(cli, "long") == "before\n", 10, "the running job's output")
    cli.run("worker", "stop", "--force")
    job = cli.job("long")
    assert job["state"] == "pending"
    assert job["history"][-1]["outcome"] == "interrupted"
    assert printed(cli, "long") == "before\n"


def test_a_lost_attempt_keeps_the_output_it_stored(cli: Cli, tmp_path: Path) -> None:
    """The worker is SIGKILLed: its attempt is recovered as lost with what it printed."""
    cli.config(backoff_base=1)
    marker = tmp_path / "ran"
    command = (
        f"if [ -e {marker} ]; then echo second; else touch {marker}; echo first; exec sleep 30; fi"
    )
    cli.run("worker", "start", "--count", "1")
    cli.enqueue("--id", "victim", "--command", command)
    wait_for(lambda: printed(cli, "victim") == "first\n", 10, "the running job's output")
    [worker] = cli.workers()
    os.kill(worker["pid"], signal.SIGKILL)
    job = cli.wait_state("victim", "completed", timeout=30)
    assert [attempt["outcome"] for attempt in job["history"]] == ["lost", "succeeded"]
    assert printed(cli, "victim", "--attempt", "1") == "first\n"
    assert printed(cli, "victim") == "second\n"
