"""The scenarios of every reference implementation, through the real command."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli, pid_alive, wait_for

pytestmark = pytest.mark.e2e


def ts(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def test_a_job_completes_with_its_output_captured(cli: Cli) -> None:
    job_id = cli.enqueue('{"id":"job1","command":"echo Hello World","max_retries":3}')
    assert job_id == "job1"
    cli.run("worker", "start", "--count", "1")
    job = cli.wait_state("job1", "completed")
    assert job["attempts"] == 1
    [attempt] = job["history"]
    assert attempt["exit_code"] == 0 and attempt["outcome"] == "succeeded"
    assert cli.run("logs", "job1").stdout == "Hello World\n"
    status = cli.json("status")
    assert status["states"]["completed"] == 1


def test_failing_job_retries_with_exponential_backoff_then_lands_in_dlq(cli: Cli) -> None:
    cli.config(backoff_base=2)
    cli.enqueue("--id", "bad1", "--command", "echo try >&2; exit 3", "--max-retries", "2")
    cli.run("worker", "start", "--count", "1")
    job = cli.wait_state("bad1", "dead", timeout=40)
    assert job["attempts"] == 3
    history = job["history"]
    assert [a["outcome"] for a in history] == ["failed"] * 3
    assert all(a["exit_code"] == 3 and a["error"] == "exit code 3" for a in history)
    gaps = [
        ts(history[i + 1]["started_at"]) - ts(history[i]["finished_at"])
        for i in range(len(history) - 1)
    ]
    assert 1.9 <= gaps[0] < 3.5, gaps  # 2 ** 1
    assert 3.9 <= gaps[1] < 5.5, gaps  # 2 ** 2
    assert [j["id"] for j in cli.json("dlq", "list")] == ["bad1"]
    assert cli.run("logs", "bad1", "--stderr").stdout == "try\n"


def test_three_workers_run_three_slow_jobs_in_parallel_without_overlap(cli: Cli) -> None:
    for n in range(3):
        cli.enqueue("--id", f"slow{n}", "--command", "sleep 2")
    cli.run("worker", "start", "--count", "3")
    jobs = [cli.wait_state(f"slow{n}", "completed") for n in range(3)]
    assert all(job["attempts"] == 1 and len(job["history"]) == 1 for job in jobs)
    runs = [job["history"][0] for job in jobs]
    # all three ran at once: each started before any finished (a wall-clock bound on
    # the whole test would also count the CLI's own start-up, which varies with load)
    assert max(ts(run["started_at"]) for run in runs) < min(ts(run["finished_at"]) for run in runs)
    assert len({job["history"][0]["worker_id"] for job in jobs}) == 3


def test_unknown_command_fails_gracefully(cli: Cli) -> None:
    cli.config(backoff_base=1)
    cli.enqueue('{"id":"nope","command":"__not_a_command__","max_retries":1}')
    cli.run("worker", "start", "--count", "1")
    job = cli.wait_state("nope", "dead")
    assert job["attempts"] == 2
    assert job["last_error"] == "command not found"
    assert job["history"][-1]["exit_code"] == 127
    assert [w["pid"] for w in cli.workers()], "the worker survived"


def test_jobs_and_config_survive_a_restart(cli: Cli) -> None:
    cli.config(max_retries=7, backoff_base=3)
    for n in range(3):
        cli.enqueue("--id", f"p{n}", "--command", f"echo {n}")
    cli.run("worker", "start", "--count", "1")
    cli.wait_state("p2", "completed")
    cli.run("worker", "stop")
    assert cli.workers() == []
    cli.enqueue("--id", "after", "--command", "echo later")
    # a new process sees everything
    assert cli.run("config", "get", "max_retries").stdout.strip() == "7"
    assert cli.job("after")["state"] == "pending"
    assert cli.job("p0")["state"] == "completed"
    cli.run("worker", "start", "--count", "1")
    cli.wait_state("after", "completed")
    assert cli.run("logs", "after").stdout == "later\n"


def test_higher_priority_runs_first_fifo_within_a_priority(cli: Cli) -> None:
    cli.enqueue("--id", "low", "--command", "true", "--priority", "0")
    cli.enqueue("--id", "mid1", "--command", "true", "--priority", "5")
    cli.enqueue("--id", "high", "--command", "true", "--priority", "10")
    cli.enqueue("--id", "mid2", "--command", "true", "--priority", "5")
    cli.run("worker", "start", "--count", "1")
    jobs = {name: cli.wait_state(name, "completed") for name in ("low", "mid1", "high", "mid2")}
    order = sorted(jobs, key=lambda name: ts(jobs[name]["history"][0]["started_at"]))
    assert order == ["high", "mid1", "mid2", "low"]


def test_delayed_job_waits_for_its_time(cli: Cli, tmp_path: Path) -> None:
    cli.run("worker", "start", "--count", "1")
    wait_for(lambda: bool(cli.workers()), 10, lambda: "the worker never registered")
    enqueued = time.time()
    # one enqueue of both, so a slow command start cannot let the delay pass between them
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text(
        '{"id": "later", "command": "true", "delay": "2s"}\n{"id": "now", "command": "true"}\n'
    )
    cli.enqueue("--file", str(jobs))
    now = cli.wait_state("now", "completed")
    job = cli.wait_state("later", "completed", timeout=10)
    # one worker, FIFO: only the delay lets the job enqueued second run first
    assert ts(now["history"][0]["started_at"]) < ts(job["history"][0]["started_at"])
    assert ts(job["history"][0]["started_at"]) >= enqueued + 2


def test_run_at_in_iso_8601(cli: Cli) -> None:
    at = datetime.fromtimestamp(time.time() + 1.5).astimezone().isoformat()
    cli.enqueue(f'{{"id":"at","command":"true","run_at":"{at}"}}')
    cli.run("worker", "start", "--count", "1")
    job = cli.wait_state("at", "completed", timeout=10)
    assert ts(job["history"][0]["started_at"]) >= ts(at)


def test_timeout_kills_the_whole_process_group(cli: Cli, tmp_path: Path) -> None:
    cli.config(kill_grace=0.5)
    pidfile = tmp_path / "child.pid"
    command = f"sh -c 'trap \"\" TERM; echo $$ > {pidfile}; sleep 60' & sleep 60"
    cli.enqueue("--id", "slow", "--command", command, "--timeout", "1", "--max-retries", "0")
    cli.run("worker", "start", "--count", "1")
    job = cli.wait_state("slow", "dead", timeout=20)
    assert job["history"][0]["outcome"] == "timed_out"
    assert "timed out" in job["last_error"]
    child = int(pidfile.read_text())
    wait_for(lambda: not pid_alive(child), 5, lambda: f"child {child} survived the timeout")


def test_dlq_retry_runs_a_dead_job_again(cli: Cli, tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    command = f"test -e {marker} || {{ touch {marker}; exit 1; }}"
    cli.enqueue("--id", "flaky", "--command", command, "--max-retries", "0")
    cli.run("worker", "start", "--count", "1")
    cli.wait_state("flaky", "dead")
    assert cli.run("dlq", "retry", "flaky").returncode == 0
    job = cli.wait_state("flaky", "completed")
    assert [a["outcome"] for a in job["history"]] == ["failed", "succeeded"]
    assert job["attempts"] == 1  # a DLQ retry starts a fresh budget
    assert cli.json("dlq", "list") == []
    assert cli.json("status")["success_rate"] == 1.0


def test_dlq_purge_and_retry_all(cli: Cli) -> None:
    for n in range(3):
        cli.enqueue("--id", f"d{n}", "--command", "exit 1", "--max-retries", "0")
    cli.enqueue("--id", "ok", "--command", "true")
    cli.run("worker", "run", "--burst")
    assert len(cli.json("dlq", "list")) == 3
    assert cli.json("status")["success_rate"] == 0.25
    assert "success: 25.0% of finished jobs" in cli.run("status").stdout
    cli.run("dlq", "purge", "d0")
    assert sorted(j["id"] for j in cli.json("dlq", "list")) == ["d1", "d2"]
    cli.run("dlq", "retry", "--all")
    cli.run("worker", "run", "--burst")
    assert sorted(j["id"] for j in cli.json("dlq", "list")) == ["d1", "d2"]
    cli.run("dlq", "purge", "--yes")
    assert cli.json("dlq", "list") == []
    assert cli.run("show", "d1", check=False).returncode == 1


def test_graceful_stop_lets_the_running_job_finish(cli: Cli, tmp_path: Path) -> None:
    started = tmp_path / "started"
    cli.run("worker", "start", "--count", "1")
    cli.enqueue("--id", "long", "--command", f"touch {started}; sleep 1.5; echo finished")
    wait_for(started.exists, 10, "the job to start")  # a file: no command to wait for
    cli.run("worker", "stop")  # returns once the worker exited
    assert cli.workers() == []
    job = cli.job("long")
    assert job["state"] == "completed"
    assert cli.run("logs", "long").stdout == "finished\n"


def test_forced_stop_puts_the_running_job_back(cli: Cli) -> None:
    cli.config(kill_grace=0.5)
    cli.run("worker", "start", "--count", "1")
    cli.enqueue("--id", "long", "--command", "sleep 30")
    cli.wait_state("long", "processing")
    began = time.monotonic()
    cli.run("worker", "stop", "--force")
    assert time.monotonic() - began < 10
    job = cli.job("long")
    assert job["state"] == "pending"
    assert job["attempts"] == 0
    assert job["history"][-1]["outcome"] == "interrupted"


def test_sigkilled_worker_job_is_recovered_and_completed(cli: Cli, tmp_path: Path) -> None:
    cli.config(backoff_base=1)
    pidfile = tmp_path / "first.pid"
    command = f"if [ -e {pidfile} ]; then echo second; else echo $$ > {pidfile}; exec sleep 30; fi"
    cli.run("worker", "start", "--count", "1")
    cli.enqueue("--id", "victim", "--command", command)
    wait_for(lambda: pidfile.exists() and pidfile.read_text().strip() != "", 10)
    first_run = int(pidfile.read_text())
    [worker] = cli.workers()
    os.kill(worker["pid"], signal.SIGKILL)
    job = cli.wait_state("victim", "completed", timeout=30)
    first, second = job["history"]
    assert first["outcome"] == "lost" and first["error"] == "worker lost"
    assert second["outcome"] == "succeeded"
    assert cli.run("logs", "victim").stdout == "second\n"
    wait_for(lambda: not pid_alive(first_run), 5, lambda: "the lost attempt's process survived")


def test_lost_lease_is_recovered_by_another_worker(cli: Cli, tmp_path: Path) -> None:
    """A bare worker (no supervisor to notice its death): only the lease brings it back."""
    cli.config(heartbeat_interval=0.5, lease_timeout=2, backoff_base=1)
    pidfile = tmp_path / "first.pid"
    command = f"if [ -e {pidfile} ]; then echo second; else echo $$ > {pidfile}; exec sleep 30; fi"
    cli.enqueue("--id", "victim", "--command", command)
    bare = [sys.executable, "-m", "queuectl_core.worker", "--worker-id", "bare-1"]
    lone = subprocess.Popen(bare, env=cli.env, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: pidfile.exists() and pidfile.read_text().strip() != "", 10)
        first_run = int(pidfile.read_text())
        lone.kill()
        lone.wait()
        assert pid_alive(first_run)  # orphaned, still running
        cli.run("worker", "start", "--count", "1")
        job = cli.wait_state("victim", "completed", timeout=30)
    finally:
        lone.kill()
    assert [a["outcome"] for a in job["history"]] == ["lost", "succeeded"]
    wait_for(lambda: not pid_alive(first_run), 5, lambda: "the lost attempt's process survived")


def test_cancel_pending_and_running_jobs(cli: Cli) -> None:
    cli.enqueue("--id", "waiting", "--command", "true", "--delay", "1h")
    cli.run("cancel", "waiting")
    assert cli.job("waiting")["state"] == "cancelled"
    cli.config(heartbeat_interval=0.5)
    cli.run("worker", "start", "--count", "1")
    cli.enqueue("--id", "running", "--command", "sleep 30")
    cli.wait_state("running", "processing")
    cli.run("cancel", "running")
    job = cli.wait_state("running", "cancelled")
    assert job["history"][0]["outcome"] == "cancelled"
    wait_for(lambda: cli.workers()[0].get("current_job") in (None, ""), 10)
    failed = cli.run("cancel", "running", check=False)
    assert failed.returncode == 1 and len(failed.stderr.strip().splitlines()) == 1


def test_config_change_applies_to_next_job_without_restart(cli: Cli) -> None:
    cli.config(backoff_base=1)
    cli.run("worker", "start", "--count", "1")
    cli.enqueue("--id", "a", "--command", "exit 1")
    assert cli.wait_state("a", "dead", timeout=30)["attempts"] == 4  # default 3 retries
    cli.config(max_retries=0)
    cli.enqueue("--id", "b", "--command", "exit 1")
    assert cli.wait_state("b", "dead")["attempts"] == 1


def test_output_that_is_not_utf8_survives(cli: Cli) -> None:
    cli.enqueue("--id", "bin", "--command", r"printf 'ok\377\376end'")
    cli.run("worker", "run", "--burst")
    raw = subprocess.run(
        cli.command("logs", "bin"), env=cli.env, capture_output=True, check=True
    ).stdout
    assert raw == b"ok\xff\xfeend"


def test_python_handler_jobs(cli: Cli) -> None:
    cli.enqueue("--id", "seed", "--type", "echo", "--payload", '{"msg": "Hello from QueueCTL!"}')
    cli.enqueue(
        "--id", "path", "--type", "python", "--command", "json:dumps", "--payload", '{"obj": [1]}'
    )
    cli.run("worker", "run", "--burst")
    assert cli.job("seed")["result"] == {"msg": "Hello from QueueCTL!"}
    assert cli.job("path")["result"] == "[1]"


def test_bulk_enqueue_from_a_file_is_all_or_nothing(cli: Cli, tmp_path: Path) -> None:
    good = "\n".join(f'{{"id":"f{n}","command":"true"}}' for n in range(100))
    cli.run("enqueue", "--file", "-", input=good + "\n")
    assert cli.json("status")["states"]["pending"] == 100
    bad = '{"id":"g1","command":"true"}\n{"id":"g2","command":"true","priorty":1}\n'
    failed = cli.run("enqueue", "--file", "-", input=bad, check=False)
    assert failed.returncode == 1
    assert "line 2" in failed.stderr and "priorty" in failed.stderr
    assert cli.run("show", "g1", check=False).returncode == 1
    assert cli.json("status")["states"]["pending"] == 100
