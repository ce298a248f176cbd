"""Jobs that wait for others (``--after``, ``--after-any``) and ``queuectl wait``, through
the real command with detached workers, on SQLite and Redis."""

from __future__ import annotations

import json
import time
from datetime import datetime
from itertools import pairwise
from typing import Any

import pytest

from queuectl_core.job import AttemptResult, Outcome, State
from queuectl_core.storage import ClaimRequest, Transition
from tests.e2e.conftest import Cli

pytestmark = pytest.mark.e2e


def ts(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def jsonl(*jobs: dict[str, Any]) -> str:
    return "".join(json.dumps(job) + "\n" for job in jobs)


def quick(cli: Cli) -> None:
    """Workers that sweep often, so a test never waits long for a heartbeat."""
    cli.config(heartbeat_interval="0.2", poll_interval="0.2")


def test_a_three_step_pipeline_from_one_file_runs_in_order(cli: Cli) -> None:
    out = cli.root / "out.txt"
    steps = jsonl(
        {"id": "fetch", "command": f"sleep 0.3; echo fetch >> {out}"},
        {"id": "build", "command": f"echo build >> {out}", "after": ["fetch"]},
        {"id": "deploy", "command": f"echo deploy >> {out}", "after": ["build"]},
    )
    created = json.loads(cli.run("enqueue", "--file", "-", "--json", input=steps).stdout)
    assert [(job["id"], job["state"], job["after"]) for job in created] == [
        ("fetch", "pending", []),
        ("build", "waiting", ["fetch"]),
        ("deploy", "waiting", ["build"]),
    ]
    assert cli.json("status")["states"]["waiting"] == 2
    cli.run("worker", "start", "--count", "3")
    done = cli.run("wait", "fetch", "build", "deploy", "--timeout", "30s")
    assert done.stdout == "3 jobs ended: 3 completed\n"
    assert out.read_text() == "fetch\nbuild\ndeploy\n"
    runs = [cli.job(job_id)["history"] for job_id in ("fetch", "build", "deploy")]
    assert all(len(history) == 1 for history in runs)
    for before, after in pairwise(runs):
        assert ts(before[0]["finished_at"]) <= ts(after[0]["started_at"])
    assert "after:       fetch (each to complete)" in cli.run("show", "build").stdout


def test_after_any_runs_whatever_the_outcome_and_after_is_cancelled(cli: Cli) -> None:
    quick(cli)
    jobs = jsonl(
        {"id": "flaky", "command": "exit 3", "max_retries": 0},
        {"id": "fine", "command": "true"},
        {"id": "report", "command": "echo report", "after": ["flaky", "fine"], "after_any": True},
        {"id": "publish", "command": "echo publish", "after": ["fine", "flaky"]},
    )
    cli.run("enqueue", "--file", "-", input=jobs)
    cli.run("worker", "start", "--count", "2")
    done = cli.run("wait", "flaky", "fine", "report", "publish", "--timeout", "30s", check=False)
    assert done.returncode == 1, done
    assert done.stdout == "4 jobs ended: 2 completed, 1 dead, 1 cancelled\n"
    report, publish = cli.job("report"), cli.job("publish")
    assert (report["state"], report["attempts"]) == ("completed", 1)
    assert cli.run("logs", "report").stdout == "report\n"
    assert (publish["state"], publish["last_error"], publish["history"]) == (
        "cancelled",
        "dependency flaky dead",
        [],
    )


def test_a_dead_job_cancels_its_dependents_and_dlq_retry_resumes_them(cli: Cli) -> None:
    quick(cli)
    flag = cli.root / "ready"
    jobs = jsonl(
        {"id": "extract", "command": f"test -e {flag}", "max_retries": 0},
        {"id": "transform", "command": "true", "after": ["extract"]},
        {"id": "load", "command": "true", "after": ["transform"]},
        {"id": "audit", "command": "true", "after": ["extract"], "after_any": True},
    )
    cli.run("enqueue", "--file", "-", input=jobs)
    cli.run("worker", "start", "--count", "2")
    done = cli.run("wait", "extract", "transform", "load", "--timeout", "30s", check=False)
    assert (done.returncode, done.stdout) == (1, "3 jobs ended: 1 dead, 2 cancelled\n")
    reasons = {job_id: cli.job(job_id)["last_error"] for job_id in ("transform", "load")}
    assert reasons == {
        "transform": "dependency extract dead",
        "load": "dependency transform cancelled",
    }
    cli.wait_state("audit", "completed")

    flag.touch()
    assert cli.json("dlq", "retry", "extract") == ["extract"]
    assert cli.run("wait", "extract", "transform", "load", "--timeout", "30s").returncode == 0
    for job_id in ("extract", "transform", "load"):
        job = cli.job(job_id)
        assert (job["state"], job["last_error"]) == ("completed", None), job
    assert cli.job("audit")["attempts"] == 1  # it had run already: not again


def test_cancelling_a_job_cancels_what_waits_for_it(cli: Cli) -> None:
    cli.enqueue("--id", "later", "-c", "true", "--delay", "1h")
    cli.enqueue("--id", "next", "-c", "true", "--after", "later")
    cli.enqueue("--id", "any", "-c", "true", "--after", "later", "--after-any")
    assert cli.json("cancel", "later")["last_error"] == "cancelled"
    assert cli.job("next")["state"] == "cancelled"
    assert cli.job("next")["last_error"] == "dependency later cancelled"
    assert cli.job("any")["state"] == "pending"  # it waited for the end, whatever it was
    assert cli.json("cancel", "any")["state"] == "cancelled"


def test_a_dependency_that_ended_before_counts_at_once(cli: Cli) -> None:
    cli.enqueue("--id", "old", "-c", "true")
    cli.run("worker", "run", "--burst")
    assert cli.job("old")["state"] == "completed"
    created = cli.json("enqueue", "--id", "new", "-c", "true", "--after", "old")
    assert created["state"] == "pending"
    cli.enqueue("--id", "gone", "-c", "true", "--delay", "1h")
    cli.run("cancel", "gone")
    created = cli.json("enqueue", "--id", "never", "-c", "true", "--after", "gone,old")
    assert (created["state"], created["last_error"]) == ("cancelled", "dependency gone cancelled")


def test_a_dependent_enqueued_while_its_dependency_runs_is_released(cli: Cli) -> None:
    """Its worker claimed the job before anything waited for it: the heartbeat's sweep
    finds it ended with a dependent still waiting."""
    quick(cli)
    cli.enqueue("--id", "slow", "-c", "sleep 1")
    cli.run("worker", "start", "--count", "1")
    cli.wait_state("slow", "processing")
    cli.enqueue("--id", "then", "-c", "true", "--after", "slow")
    assert cli.run("wait", "then", "--timeout", "30s").stdout == "1 job ended: 1 completed\n"


def test_a_worker_that_died_before_settling_is_caught_up_by_the_sweep(cli: Cli) -> None:
    """A parent finished by a process that died before settling its dependents: they
    would wait forever, but a worker's heartbeat settles them."""
    quick(cli)
    cli.run("enqueue", "--file", "-", input=jsonl(
        {"id": "parent", "command": "true"},
        {"id": "child", "command": "true", "after": ["parent"]},
    ))  # fmt: skip
    with cli.queue() as queue:  # a worker's finish, and no settle: as if it died there
        now = time.time()
        claim = queue.storage.claim(ClaimRequest("ghost", None, now, now + 30))
        assert claim is not None and claim.job.id == "parent" and claim.dependents
        done = AttemptResult(Outcome.SUCCEEDED, finished_at=time.time())
        assert queue.storage.finish("parent", claim.token, Transition(State.COMPLETED, done))
        assert queue.storage.unsettled() == ["parent"]
    time.sleep(0.5)
    assert cli.job("child")["state"] == "waiting"
    cli.run("worker", "start", "--count", "1")
    assert cli.run("wait", "child", "--timeout", "30s").returncode == 0
    with cli.queue() as queue:
        assert queue.storage.unsettled() == []


def test_cycles_and_unknown_ids_are_refused_and_nothing_is_stored(cli: Cli) -> None:
    unknown = cli.run("enqueue", "-c", "true", "--after", "nope", check=False)
    assert (unknown.returncode, unknown.stderr) == (1, "Error: after: no job with id 'nope'\n")
    assert not cli.db.exists()  # no queue made for a refused job
    assert cli.run("status", check=False).returncode == 1
    cli.run("init")
    cycle = jsonl(
        {"id": "a", "command": "true"},
        {"id": "b", "command": "true", "after": ["a", "d"]},
        {"id": "c", "command": "true", "after": ["b"]},
        {"id": "d", "command": "true", "after": ["c"]},
    )
    refused = cli.run("enqueue", "--file", "-", input=cycle, check=False)
    assert (refused.returncode, refused.stderr) == (
        1,
        "Error: line 2: after: dependency cycle b -> d -> c -> b\n",
    )
    later = jsonl({"id": "x", "command": "true"}, {"id": "y", "command": "true", "after": ["z"]})
    refused = cli.run("enqueue", "--file", "-", input=later, check=False)
    assert (refused.returncode, refused.stderr) == (1, "Error: line 2: after: no job with id 'z'\n")
    assert cli.json("list") == []
    # a job may wait for one later in the same file, and for 100 at most
    many = [{"id": f"p{n}", "command": "true"} for n in range(100)]
    last = {"id": "last", "command": "true", "after": [job["id"] for job in many]}
    cli.run("enqueue", "--file", "-", input=jsonl(last, *many))
    assert cli.job("last")["state"] == "waiting" and len(cli.job("last")["after"]) == 100


def test_wait_exit_statuses_and_timeout(cli: Cli) -> None:
    quick(cli)
    cli.enqueue("--id", "ok", "-c", "true")
    cli.enqueue("--id", "bad", "-c", "exit 2", "--max-retries", "0")
    cli.enqueue("--id", "slow", "-c", "sleep 30", "--queue", "slow")
    cli.enqueue("--id", "held", "-c", "true", "--queue", "slow", "--after", "slow")
    started = time.monotonic()
    timed_out = cli.run("wait", "ok", "slow", "held", "--timeout", "0.5", check=False)
    assert time.monotonic() - started < 15
    assert (timed_out.returncode, timed_out.stdout) == (
        124,
        "timed out after 0.50s: 3 of 3 jobs still running or waiting\n",
    )
    cli.run("worker", "start", "--count", "2")
    assert cli.run("wait", "ok").stdout == "1 job ended: 1 completed\n"
    failed = cli.run("wait", "ok", "bad", check=False)
    assert (failed.returncode, failed.stdout) == (1, "2 jobs ended: 1 completed, 1 dead\n")
    cli.wait_state("slow", "processing")
    view = json.loads(
        cli.run("wait", "--queue", "slow", "--timeout", "1s", "--json", check=False).stdout
    )
    assert view == {
        "completed": 0,
        "dead": 0,
        "cancelled": 0,
        "gone": 0,
        "unfinished": 2,
        "total": 2,
        "timed_out": True,
    }
    cli.run("cancel", "slow")  # "held" is cancelled with it
    done = cli.run("wait", "--queue", "slow", "--json", check=False)
    assert done.returncode == 0  # nothing left to wait for in that queue: none ended meanwhile
    assert json.loads(done.stdout)["unfinished"] == 0
    ids = json.loads(cli.run("wait", "ok", "bad", "held", "--json", check=False).stdout)
    assert ids["jobs"] == {"ok": "completed", "bad": "dead", "held": "cancelled"}
