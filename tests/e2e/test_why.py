"""``queuectl why ID``: one line on why a job is where it is, through the real command
with real workers, on SQLite and Redis; ``show`` says the same."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli, wait_for

pytestmark = pytest.mark.e2e


def numbers_apart(text: str) -> str:
    return re.sub(r"\d+(\.\d+)?", "#", text)


def why(cli: Cli, job_id: str) -> dict[str, str]:
    """``why --json`` of one job, checked against the human line."""
    view: dict[str, str] = cli.json("why", job_id)
    line = cli.run("why", job_id).stdout.strip()
    assert numbers_apart(line) == numbers_apart(view["text"])  # durations move on
    assert view["id"] == job_id
    return view


def test_a_job_nobody_can_run_yet(cli: Cli) -> None:
    cli.enqueue("--id", "later", "--command", "true", "--delay", "1h")
    cli.enqueue("--id", "orphan", "--command", "true", "--queue", "nobody")
    cli.enqueue("--id", "gone", "--command", "true", "--delay", "1h")
    cli.run("cancel", "gone")

    later = why(cli, "later")
    assert later["reason"] == "delayed"
    assert later["text"].startswith("delayed until ") and "(in 59m" in later["text"]

    orphan = why(cli, "orphan")
    assert orphan["reason"] == "no_worker"
    assert "no live worker serves queue nobody" in orphan["text"]
    assert orphan["queue"] == "nobody"

    assert why(cli, "gone")["reason"] == "cancelled"
    both = cli.json("why", "later", "orphan")
    assert [view["reason"] for view in both] == ["delayed", "no_worker"]
    assert cli.run("why", "later", "orphan").stdout.startswith("later: delayed until")


def test_running_waiting_for_a_worker_retrying_dead_and_completed(cli: Cli, tmp_path: Path) -> None:
    started = tmp_path / "started"
    release = tmp_path / "release"
    cli.config(backoff_base=1000, poll_interval="0.05")
    slow = f"touch {started}; until [ -e {release} ]; do sleep 0.05; done"
    cli.enqueue("--id", "slow", "--command", slow, "--priority", "high")
    cli.run("worker", "start", "--count", "1")
    wait_for(started.exists, 20, "the slow job to start")
    cli.enqueue("--id", "next", "--command", "exit 3", "--max-retries", "1")

    running = why(cli, "slow")
    [worker] = cli.workers()
    assert running["reason"] == "running"
    assert running["host"] == worker["host"] and running["worker_id"] == worker["id"]
    assert f"running on host {worker['host']} (worker {worker['id']}) since " in running["text"]

    waiting = why(cli, "next")
    assert waiting["reason"] == "ready"
    assert "waiting for one of the 1 live worker serving queue default" in waiting["text"]

    release.touch()
    cli.wait_state("slow", "completed")
    cli.wait_state("next", "failed")
    assert why(cli, "slow")["reason"] == "completed"
    retrying = why(cli, "next")
    assert retrying["reason"] == "retrying"
    assert (retrying["attempt"], retrying["of"]) == (2, 2)
    assert "attempt 2 of 2 after: exit code 3" in retrying["text"]

    cli.enqueue("--id", "doomed", "--command", "exit 4", "--max-retries", "0")
    cli.wait_state("doomed", "dead")
    dead = why(cli, "doomed")
    assert dead["reason"] == "dead"
    assert dead["text"] == "in the dead letter queue after 1 attempt: exit code 4"

    shown = cli.run("show", "doomed").stdout
    assert "why:" in shown and "in the dead letter queue after 1 attempt" in shown
    assert cli.job("doomed")["why"] == {"reason": "dead", "text": dead["text"]}


def test_a_job_whose_worker_stopped_serving_its_queue(cli: Cli) -> None:
    cli.run("worker", "start", "--count", "1", "--queue", "mail")
    wait_for(lambda: bool(cli.workers()), 20, "the worker to register")
    cli.enqueue("--id", "report", "--command", "true", "--queue", "reports")
    assert why(cli, "report")["reason"] == "no_worker"


def test_an_unknown_id_is_a_one_line_error(cli: Cli) -> None:
    cli.run("init")
    out = cli.run("why", "nope", check=False)
    assert out.returncode != 0
    assert out.stderr.strip().count("\n") == 0 and "nope" in out.stderr
    assert "Traceback" not in out.stderr


def test_a_job_waiting_for_its_dependencies(cli: Cli) -> None:
    cli.enqueue("--id", "parent", "--command", "true", "--delay", "1h")
    cli.enqueue("--id", "done", "--command", "true")
    cli.run("worker", "run", "--burst")
    cli.enqueue("--id", "child", "--command", "true", "--after", "parent,done")
    waiting = why(cli, "child")
    assert waiting["reason"] == "waiting"
    assert waiting["waiting_for"] == ["parent"]
    assert waiting["text"] == "waiting for 1 of its 2 dependencies to complete: parent (pending)"


def test_a_job_its_dependency_cancelled(cli: Cli) -> None:
    cli.enqueue("--id", "parent", "--command", "exit 1", "--max-retries", "0")
    cli.enqueue("--id", "child", "--command", "true", "--after", "parent")
    cli.run("worker", "run", "--burst")
    cli.wait_state("child", "cancelled")
    failed = why(cli, "child")
    assert failed["reason"] == "dependency_failed"
    assert failed["dependency"] == "parent"
    assert failed["text"].endswith(
        ": dependency parent dead (queuectl dlq retry parent resumes it)"
    )


def test_a_schedule_name_says_when_it_fires_or_that_it_is_paused(cli: Cli) -> None:
    cli.run("schedule", "add", "nightly", "--cron", "0 3 * * *", "--command", "true")
    scheduled = why(cli, "nightly")
    assert scheduled["reason"] == "scheduled"
    assert scheduled["schedule"] == "nightly" and scheduled["next_run_at"].endswith("03:00:00.000Z")
    assert scheduled["text"].startswith("schedule nightly: next run at ")
    assert scheduled["text"].endswith("; it has not run yet")
    cli.run("schedule", "run", "nightly")
    cli.run("schedule", "pause", "nightly")
    paused = why(cli, "nightly")
    assert paused["reason"] == "schedule_paused"
    assert (
        "is paused since" in paused["text"]
        and "(queuectl schedule resume nightly)" in paused["text"]
    )
    assert "; last run nightly@run-" in paused["text"]
    assert why(cli, paused["last_job_id"])["reason"] == "no_worker"  # the run itself


def test_a_queued_run_waits_for_the_previous_run(cli: Cli, tmp_path: Path) -> None:
    release = tmp_path / "release"
    command = f"until [ -e {release} ]; do sleep 0.05; done"
    cli.run("schedule", "add", "q", "--every", "1s", "--overlap", "queue", "--command", command)
    cli.run("worker", "start", "--count", "2")
    waiting: list[dict[str, str]] = []

    def queued() -> bool:
        waiting[:] = [job for job in cli.json("list", "--state", "waiting")]
        return bool(waiting)

    wait_for(queued, 20, "a queued run")
    view = why(cli, waiting[0]["id"])
    assert view["reason"] == "waiting"
    assert re.fullmatch(
        r"waiting for the previous run q@\S+ \(processing\) of schedule q to end \(overlap queue\)",
        view["text"],
    ), view["text"]
    cli.run("schedule", "pause", "q")
    release.touch()
    cli.wait_state(waiting[0]["id"], "completed")
