"""Retry rules (exit codes, jitter, NonRetryable) and a job's own working directory and
environment, through the real command with real workers, on SQLite and Redis
(docs/scheduling.md, "Retries" and "Working directory and environment")."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import datetime
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli

pytestmark = pytest.mark.e2e

SECRET = "s3cr3t-V4lue-never-shown"
HANDLERS = """
from queuectl_core import NonRetryable


def gone(customer):
    raise NonRetryable(f"customer {customer} is gone")


def flaky():
    raise ValueError("try again")
"""


def ts(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


@pytest.fixture
def quick(cli: Cli) -> Cli:
    """Workers that look for work often and retry after 0.1 s at most."""
    cli.config(poll_interval="0.1", heartbeat_interval="0.2", backoff_max="0.1")
    return cli


def run_in(cli: Cli, directory: Path, *args: str, check: bool = True) -> str:
    """``queuectl ARGS`` run from ``directory``; its stdout."""
    done = subprocess.run(
        cli.command(*args), env=cli.env, cwd=directory, capture_output=True, text=True, timeout=60
    )
    assert not check or done.returncode == 0, done.stderr
    return done.stdout.strip()


def dead(cli: Cli, job_id: str) -> dict[str, object]:
    return cli.wait_state(job_id, "dead")


# -- exit-code rules ---------------------------------------------------------------------------


def test_an_exit_code_in_no_retry_exit_is_dead_after_one_attempt(quick: Cli) -> None:
    cli = quick
    cli.enqueue("--id", "usage", "-c", "exit 2", "--no-retry-exit", "2,64,127")
    cli.enqueue("--id", "missing", "-c", "no-such-command-here", "--no-retry-exit", "127")
    cli.enqueue("--id", "other", "-c", "exit 3", "--no-retry-exit", "2", "--max-retries", "2")
    cli.run("worker", "start")
    usage = dead(cli, "usage")
    assert (usage["attempts"], usage["last_error"]) == (
        1,
        "exit code 2: not retried (no_retry_exit)",
    )
    [attempt] = usage["history"]  # type: ignore[misc]
    assert (attempt["exit_code"], attempt["error"]) == (2, usage["last_error"])
    assert dead(cli, "missing")["last_error"] == (
        "command not found (exit code 127): not retried (no_retry_exit)"
    )
    other = dead(cli, "other")  # not listed: the normal rule, 1 + 2 retries
    assert (other["attempts"], other["last_error"]) == (3, "exit code 3")
    assert "no_retry_exit: 2,64,127" in cli.run("show", "usage").stdout
    log = (cli.root / "state" / "queuectl" / "workers.log").read_text()
    assert "job usage attempt 1 failed: exit code 2: not retried (no_retry_exit); dead" in log


def test_retry_on_exit_retries_only_the_codes_it_lists(quick: Cli) -> None:
    cli = quick
    marker = cli.root / "tried"
    cli.enqueue("--id", "three", "-c", "exit 3", "--retry-on-exit", "75")
    once = f"test -e {marker} && exit 0; touch {marker}; exit 75"
    cli.enqueue("--id", "tempfail", "-c", once, "--retry-on-exit", "75,111")
    cli.run("worker", "start")
    three = dead(cli, "three")
    assert (three["attempts"], three["last_error"]) == (
        1,
        "exit code 3: not retried (not in retry_on_exit)",
    )
    tempfail = cli.wait_state("tempfail", "completed")
    outcomes = [(a["exit_code"], a["outcome"]) for a in tempfail["history"]]  # type: ignore[attr-defined]
    assert outcomes == [(75, "failed"), (0, "succeeded")]


def test_the_settings_are_the_default_and_a_jobs_own_rule_wins(quick: Cli) -> None:
    cli = quick
    cli.config(no_retry_exit="64", retry_on_exit="none")
    assert cli.run("config", "get", "no_retry_exit").stdout == "64\n"
    cli.enqueue("--id", "by-setting", "-c", "exit 64")
    cli.enqueue("--id", "own", "-c", "exit 64", "--no-retry-exit", "none", "--max-retries", "1")
    cli.run("worker", "start")
    assert dead(cli, "by-setting")["attempts"] == 1
    own = dead(cli, "own")
    assert (own["attempts"], own["last_error"]) == (2, "exit code 64")
    assert (own["no_retry_exit"], cli.job("by-setting")["no_retry_exit"]) == ([], None)


def test_a_timeout_is_retried_whatever_the_exit_code_rules(quick: Cli) -> None:
    cli = quick
    cli.config(retry_on_exit="75", no_retry_exit="0,1,2,137,143")
    cli.enqueue("--id", "slow", "-c", "sleep 5", "--timeout", "0.2", "--max-retries", "1")
    cli.run("worker", "start")
    slow = cli.wait_state("slow", "dead", timeout=60)
    assert slow["attempts"] == 2
    assert slow["last_error"] == "timed out after 0.2s"


# -- jitter ------------------------------------------------------------------------------------


def test_jitter_keeps_each_retry_delay_between_zero_and_the_backoff(cli: Cli) -> None:
    """With backoff_base 1.5, failed attempt n waits a random time in [0, 1.5**n): a burst
    worker runs the jobs until each waits for a retry, then each job's next_run_at minus
    the end of its last attempt is in range, and below the cap (no jitter: at it)."""
    cli.config(backoff_base="1.5", backoff_jitter="true", poll_interval="0.1")
    jittered = [cli.enqueue("-c", "exit 1", "--max-retries", "20") for _ in range(4)]
    steady = cli.enqueue("-c", "exit 1", "--max-retries", "20", "--no-jitter")
    cli.run("worker", "run", "--burst", timeout=120)
    delays = []
    for job_id in [*jittered, steady]:
        job = cli.job(job_id)
        assert job["state"] == "failed", job  # waiting for a retry (its delay is not 0)
        attempts = job["attempts"]
        delay = ts(job["next_run_at"]) - ts(job["history"][-1]["finished_at"])
        cap = 1.5**attempts
        if job_id == steady:
            assert (attempts, delay) == (1, pytest.approx(1.5, abs=0.002))
            continue
        assert -0.002 <= delay <= cap + 0.002, (attempts, delay)
        delays.append(delay / cap)
        for before, after in zip(job["history"], job["history"][1:], strict=False):
            assert ts(after["started_at"]) >= ts(before["finished_at"]) - 0.002
    assert min(delays) < 0.99  # drawn, not the cap: all four at 0.99 or more is 1e-8


# -- NonRetryable ------------------------------------------------------------------------------


@pytest.fixture
def handlers(quick: Cli, tmp_path: Path) -> Cli:
    site = tmp_path / "handlers-site"
    site.mkdir()
    (site / "retry_handlers.py").write_text(HANDLERS)
    quick.env["PYTHONPATH"] = str(site)
    return quick


def test_a_handler_raising_nonretryable_is_dead_at_once_with_its_message(handlers: Cli) -> None:
    cli = handlers
    cli.enqueue("--id", "gone", "--type", "python", "-c", "retry_handlers:gone")
    cli.run("enqueue", '{"id": "g2", "type": "python", "command": "retry_handlers:gone", '
            '"payload": {"customer": 42}, "max_retries": 5}')  # fmt: skip
    cli.enqueue(
        "--id", "flaky", "--type", "python", "-c", "retry_handlers:flaky", "--max-retries", "1"
    )
    cli.run("worker", "start")
    g2 = dead(cli, "g2")
    assert (g2["attempts"], g2["last_error"]) == (
        1,
        "customer 42 is gone: not retried (NonRetryable)",
    )
    assert "NonRetryable: customer 42 is gone" in cli.run("logs", "g2", "--stderr").stdout
    assert dead(cli, "gone")["attempts"] == 4  # no payload: a TypeError, retried 3 times
    flaky = dead(cli, "flaky")
    assert (flaky["attempts"], flaky["last_error"]) == (2, "ValueError: try again")
    assert cli.job("flaky")["cwd"] is None  # a handler runs in the worker: no directory


# -- working directory -------------------------------------------------------------------------


def test_a_job_runs_where_it_was_enqueued_unless_told_otherwise(quick: Cli) -> None:
    cli = quick
    here = cli.root / "project"
    (here / "sub").mkdir(parents=True)
    elsewhere = cli.root / "elsewhere"
    elsewhere.mkdir()
    run_in(cli, here, "enqueue", "--id", "default", "-c", "pwd -P")
    run_in(cli, here, "enqueue", "--id", "relative", "-c", "pwd -P", "--cwd", "sub")
    run_in(cli, here, "enqueue", "--id", "up", "-c", "pwd -P", "--cwd", "../elsewhere")
    run_in(cli, here, "enqueue", "--id", "worker", "-c", "pwd -P", "--cwd", "none")
    run_in(cli, here, "enqueue", "--id", "json", '{"command": "pwd -P", "cwd": "sub"}')
    lines = '{"id": "f1", "command": "pwd -P"}\n{"id": "f2", "command": "pwd -P", "cwd": null}\n'
    done = subprocess.run(
        cli.command("enqueue", "--file", "-"),
        env=cli.env,
        cwd=here,
        input=lines,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert cli.job("default")["cwd"] == str(here)
    assert cli.job("worker")["cwd"] is None
    cli.run("worker", "start")
    worker_dir = os.path.realpath(f"/proc/{cli.workers()[0]['pid']}/cwd")
    expected = {
        "default": here,
        "relative": here / "sub",
        "up": elsewhere,
        "worker": Path(worker_dir),
        "json": here / "sub",
        "f1": here,
        "f2": Path(worker_dir),
    }
    for job_id, directory in expected.items():
        cli.wait_state(job_id, "completed")
        assert cli.run("logs", job_id).stdout == f"{os.path.realpath(directory)}\n", job_id
    assert worker_dir != os.path.realpath(here)


def test_a_missing_working_directory_fails_the_attempt_with_the_reason(quick: Cli) -> None:
    cli = quick
    gone = cli.root / "gone"
    not_dir = cli.root / "file.txt"
    not_dir.write_text("x")
    cli.enqueue("--id", "gone", "-c", "true", "--cwd", str(gone), "--max-retries", "1")
    cli.enqueue("--id", "file", "-c", "true", "--cwd", str(not_dir), "--max-retries", "0")
    cli.run("worker", "start")
    job = dead(cli, "gone")  # the normal retry rule: the directory may yet appear
    assert job["attempts"] == 2
    assert job["last_error"] == f"working directory {gone} does not exist"
    assert [a["error"] for a in job["history"]] == [job["last_error"]] * 2  # type: ignore[attr-defined]
    assert dead(cli, "file")["last_error"] == f"working directory {not_dir} is not a directory"


# -- environment -------------------------------------------------------------------------------


def test_a_job_sees_its_env_and_nothing_shows_the_values(quick: Cli) -> None:
    cli = quick
    cli.env["SHARED_NAME"] = "the worker's"
    job_id = cli.enqueue(
        "-c",
        'printf "%s|%s|%s" "$API_TOKEN" "$SHARED_NAME" "$EMPTY"',
        "--env",
        f"API_TOKEN={SECRET}",
        "--env",
        "SHARED_NAME=the job's",
        "--env",
        "EMPTY=",
    )
    cli.run("worker", "start")
    job = cli.wait_state(job_id, "completed")
    assert cli.run("logs", job_id).stdout == f"{SECRET}|the job's|"
    hidden = "********"
    assert job["env"] == {"API_TOKEN": hidden, "SHARED_NAME": hidden, "EMPTY": hidden}
    shown = cli.run("show", job_id).stdout
    assert "env:" in shown and "API_TOKEN" in shown
    for args in (("show", job_id), ("show", job_id, "--json"), ("list", "--json"), ("list",)):
        assert SECRET not in cli.run(*args).stdout, args
    for output in ("csv", "jsonl"):
        assert SECRET not in cli.run("list", "--format", output).stdout
    log = cli.root / "state" / "queuectl" / "workers.log"
    assert log.exists() and SECRET not in log.read_text()


def test_env_and_cwd_in_a_schedule_template(cli: Cli) -> None:
    cli.run(
        "schedule", "add", "nightly", "--every", "1d", "-c", "env", "--cwd", "sub",
        "--env", f"TOKEN={SECRET}", "--no-retry-exit", "2", "--jitter",
    )  # fmt: skip
    shown = cli.run("schedule", "show", "nightly", "--json").stdout
    assert SECRET not in shown
    template = json.loads(shown)["job"]
    assert template["cwd"] == str(cli.root / "sub")
    assert template["env"] == {"TOKEN": "********"}
    run = json.loads(cli.run("schedule", "run", "nightly", "--json").stdout)
    assert (run["cwd"], run["env"], run["no_retry_exit"], run["backoff_jitter"]) == (
        str(cli.root / "sub"),
        {"TOKEN": "********"},
        [2],
        True,
    )
    cli.run("schedule", "add", "plain", "--every", "1d", "-c", "true")
    assert json.loads(cli.run("schedule", "run", "plain", "--json").stdout)["cwd"] is None


# -- bad input ---------------------------------------------------------------------------------

#: (arguments, what the one-line error says)
REFUSED = {
    "exit code 256": (["-c", "x", "--retry-on-exit", "75,256"], "exit code 256 must be between 0"),
    "exit code word": (["-c", "x", "--no-retry-exit", "two"], "no_retry_exit: expected exit codes"),
    "65 exit codes": (["-c", "x", "--no-retry-exit", ",".join(map(str, range(65)))], "at most 64"),
    "exit codes in JSON": (['{"command": "x", "retry_on_exit": [1, true]}'], "retry_on_exit"),
    "jitter in JSON": (['{"command": "x", "backoff_jitter": "yes"}'], "backoff_jitter must be"),
    "env without =": (["-c", "x", "--env", SECRET], "--env: option 1 is not NAME=VALUE"),
    "env bad name": (["-c", "x", "--env", f"A-B={SECRET}"], "'A-B' is not a variable name"),
    "env ours": (["-c", "x", "--env", f"QUEUECTL_DB={SECRET}"], "QUEUECTL_DB is queuectl's own"),
    "env twice": (["-c", "x", "--env", "A=1", "--env", f"A={SECRET}"], "A is given twice"),
    "env NUL": (['{"command": "x", "env": {"A": "' + SECRET + '\\u0000"}}'], "NUL"),
    "env number": (['{"command": "x", "env": {"A": 12345}}'], "value of A must be a string"),
    "env list": (['{"command": "x", "env": ["A=' + SECRET + '"]}'], "env must be an object"),
    "env too many": (
        ["-c", "x", *[f"--env=V{n}=1" for n in range(101)]],
        "env may set at most 100 variables",
    ),
    "env too large": (["-c", "x", "--env", "A=" + "x" * 70000], "env must be at most 64 KiB"),
    "cwd not text": (['{"command": "x", "cwd": 5}'], "cwd must be"),
    "cwd for a handler": (
        ["--type", "python", "-c", "os:getcwd", "--cwd", "/tmp"],
        "cwd is for jobs run in a process of their own",
    ),
    "env for a handler": (
        ["--type", "python", "-c", "os:getcwd", "--env", "A=1"],
        "env is for jobs run in a process of their own",
    ),
}


def test_bad_retry_rules_cwd_and_env_are_refused_in_one_line_and_nothing_is_stored(
    cli: Cli,
) -> None:
    cli.enqueue("--id", "kept", "-c", "true")
    wrong = []
    for name, (args, message) in REFUSED.items():
        done = cli.run("enqueue", *args, check=False)
        lines = done.stderr.splitlines()
        if done.returncode != 1 or len(lines) != 1 or message not in lines[0] or SECRET in lines[0]:
            wrong.append(f"{name}: exit {done.returncode}: {done.stderr!r}")
    for name, value in (
        ("retry_on_exit", "1,256"),
        ("no_retry_exit", "x"),
        ("backoff_jitter", "2"),
    ):
        done = cli.run("config", "set", name, value, check=False)
        if done.returncode != 1 or len(done.stderr.splitlines()) != 1:
            wrong.append(f"config set {name} {value}: {done.stderr!r}")
    assert not wrong, "\n".join(wrong)
    assert [job["id"] for job in cli.json("list")] == ["kept"]
    assert cli.run("config", "get", "retry_on_exit").stdout == "none\n"
