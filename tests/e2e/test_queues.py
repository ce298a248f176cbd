"""Queues as objects through the real command: ``queue list``/``show``, ``queue
pause``/``resume`` and ``queue limit`` obeyed by real detached workers on several
simulated hosts, on SQLite and on Redis."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli, wait_for

pytestmark = pytest.mark.e2e

HOSTS = ("host-a", "host-b", "host-c")


def start_on_hosts(cli: Cli, *args: str) -> None:
    for host in HOSTS:
        cli.env["QUEUECTL_HOSTNAME"] = host
        cli.run("worker", "start", *args)
    cli.env.pop("QUEUECTL_HOSTNAME")


def stamp(path: Path) -> str:
    """A shell command that writes when it starts (the job's own clock) to ``path``."""
    return f"python3 -c 'import time; print(time.time())' > {path}"


def started_at(path: Path) -> float:
    return float(path.read_text())


def test_pause_stops_claims_on_every_host_and_resume_wakes_them(cli: Cli, tmp_path: Path) -> None:
    # idle workers look for work on their own only every 30s: resume must wake them
    cli.config(poll_interval="30s")
    start_on_hosts(cli)
    wait_for(lambda: len(cli.workers()) == len(HOSTS), 15, "the workers")
    long_started = tmp_path / "long-started"
    cli.enqueue("--id", "long", "-q", "q", "--command", f"touch {long_started}; sleep 2")
    wait_for(long_started.exists, 15, "the long job to start")

    cli.run("queue", "pause", "q", "--reason", "deploy ✓")
    paused_at = time.time()
    # enqueue still works, and none of these is claimed while q is paused
    for n in range(3):
        cli.enqueue("--id", f"held{n}", "-q", "q", "--command", stamp(tmp_path / f"held{n}"))
    other = cli.enqueue("--id", "other", "-q", "other", "--command", "true")
    assert cli.wait_state(other, "completed")["state"] == "completed"  # other queues run
    assert cli.wait_state("long", "completed", timeout=15)["state"] == "completed"

    why = cli.json("why", "held0")
    assert why["reason"] == "queue_paused" and why["queue"] == "q"
    assert why["reason"] == "queue_paused" and why["text"].startswith(
        "queue q is paused (deploy ✓) since "
    )
    assert "queue resume q" in cli.run("why", "held1").stdout
    [view] = [view for view in cli.json("queue", "list") if view["name"] == "q"]
    assert view["paused"] is True and view["reason"] == "deploy ✓"
    assert view["states"]["pending"] == 3 and view["states"]["completed"] == 1
    assert view["live_workers"] == len(HOSTS)
    assert view["oldest_pending_age"] is not None and view["oldest_pending_age"] >= 0
    status = cli.json("status")
    assert [(q["name"], q["reason"]) for q in status["paused_queues"]] == [("q", "deploy ✓")]
    assert "queue q (deploy ✓) since" in cli.run("status").stdout
    time.sleep(1.0)
    assert not any((tmp_path / f"held{n}").exists() for n in range(3))
    assert all(cli.job(f"held{n}")["state"] == "pending" for n in range(3))

    resumed = cli.run("queue", "resume", "q")
    resumed_at = time.time()
    assert resumed.stdout == "resumed queue q\n"
    for n in range(3):
        cli.wait_state(f"held{n}", "completed", timeout=10)
    # woken, not polled: every held job started within a few seconds of the resume
    starts = [started_at(tmp_path / f"held{n}") for n in range(3)]
    assert all(paused_at < resumed_at - 1 < start < resumed_at + 10 for start in starts), (
        paused_at,
        resumed_at,
        starts,
    )
    assert cli.json("queue", "show", "q")["paused"] is False
    assert cli.json("status")["paused_queues"] == []


def test_pause_all_and_resume_all(cli: Cli) -> None:
    for queue in ("a", "b"):
        cli.enqueue("--id", f"{queue}1", "-q", queue, "--command", "true")
    assert cli.run("queue", "pause", "--all").stdout == "paused 2 queues: a, b\n"
    cli.run("queue", "pause", "later", "--reason", "not yet")  # before its first job
    assert [(v["name"], v["paused"], v["total"]) for v in cli.json("queue", "list")] == [
        ("a", True, 1),
        ("b", True, 1),
        ("later", True, 0),
    ]
    cli.run("worker", "start", "--count", "2")
    time.sleep(1.5)
    assert {cli.job(job)["state"] for job in ("a1", "b1")} == {"pending"}
    assert cli.run("queue", "resume", "--all").stdout == "resumed 3 queues: a, b, later\n"
    cli.run("wait", "a1", "b1", "--timeout", "15s")
    assert cli.run("queue", "resume", "--all").stdout == "no queue was paused\n"
    # a queue with no jobs whose pause was removed no longer exists
    assert [view["name"] for view in cli.json("queue", "list")] == ["a", "b"]
    assert cli.run("queue", "resume", "a").stdout == "queue a was not paused\n"


def test_list_and_show_output(cli: Cli) -> None:
    cli.run("init")
    assert cli.run("queue", "list").stdout == "no queues\n"
    assert cli.json("queue", "list") == []
    cli.enqueue("--id", "j1", "-q", "mail", "--command", "true")
    cli.enqueue("--id", "j2", "-q", "mail", "--command", "true", "--delay", "1h")
    cli.run("queue", "pause", "mail", "--reason", "smtp down")
    view = cli.json("queue", "show", "mail")
    assert set(view) == {
        "name",
        "states",
        "total",
        "paused",
        "reason",
        "paused_at",
        "concurrency",
        "live_workers",
        "oldest_due_at",
        "oldest_pending_age",
    }
    assert view["name"] == "mail" and view["total"] == 2 and view["states"]["pending"] == 2
    assert view["paused"] and view["reason"] == "smtp down" and view["paused_at"].endswith("Z")
    assert view["live_workers"] == 0 and view["oldest_due_at"].endswith("Z")
    listed = cli.run("queue", "list").stdout.splitlines()
    assert listed[0].split()[:3] == ["QUEUE", "STATUS", "PENDING"]
    assert listed[1].split()[:3] == ["mail", "paused", "2"]
    shown = cli.run("queue", "show", "mail").stdout
    assert "status:  paused (smtp down) since " in shown
    assert "jobs:    2 (2 pending)" in shown


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["queue", "show", "nope"], "no queue named 'nope'"),
        (["queue", "resume", "nope"], "no queue named 'nope'"),
        (["queue", "pause", ""], "queue name '' is invalid"),
        (["queue", "pause", "bad name"], "queue name 'bad name' is invalid"),
        (["queue", "pause", "q", "--reason", "x" * 201], "at most 200 characters"),
        (["queue", "pause", "q", "--reason", "two\nlines"], "one line"),
        (["queue", "pause"], "give a queue name (or --all)"),
        (["queue", "pause", "q", "--all"], "not both"),
        (["queue", "resume"], "give a queue name (or --all)"),
    ],
)
def test_bad_input_is_one_line_and_stores_nothing(cli: Cli, args: list[str], error: str) -> None:
    cli.enqueue("--id", "j1", "-q", "q", "--command", "true")
    done = cli.run(*args, check=False)
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("Error: ") and error in line, line
    assert cli.json("status")["paused_queues"] == []


def overlaps(spans: list[tuple[float, float]]) -> int:
    """The most spans that were open at one moment."""
    events = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans])
    most = running = 0
    for _, step in events:
        running += step
        most = max(most, running)
    return most


def test_a_concurrency_limit_holds_across_six_workers_on_three_hosts(
    cli: Cli, tmp_path: Path
) -> None:
    spans = tmp_path / "spans"
    spans.mkdir()
    cli.run("queue", "limit", "lim", "--concurrency", "2")
    start_on_hosts(cli, "--count", "2")
    wait_for(lambda: len(cli.workers()) == 6, 20, "six workers")
    record = f"s=$(date +%s.%N); sleep 2; e=$(date +%s.%N); echo $s $e > {spans}/$QUEUECTL_JOB_ID"
    jobs = [{"id": f"l{n}", "queue": "lim", "command": record} for n in range(12)]
    jobs.append({"id": "free", "queue": "free", "command": "true"})
    cli.run("enqueue", "--file", "-", input="\n".join(map(json.dumps, jobs)))
    wait_for(
        lambda: cli.json("queue", "show", "lim")["states"]["processing"] == 2,
        10,
        "2 running",
        interval=0.25,
    )
    why = cli.json("why", "l11")
    assert why["reason"] == "queue_limited" and why["concurrency"] == 2, why
    assert "queue lim is at its concurrency limit (2 running)" in why["text"]
    cli.wait_state("free", "completed")  # other queues run meanwhile
    cli.run("wait", "--queue", "lim", "--timeout", "60s")
    found = [tuple(map(float, path.read_text().split())) for path in spans.iterdir()]
    assert len(found) == 12
    assert overlaps(found) == 2  # never more than the limit, and the limit was used
    view = cli.json("queue", "show", "lim")
    assert view["concurrency"] == 2 and view["states"]["completed"] == 12
    assert cli.run("queue", "limit", "lim", "--concurrency", "none").stdout == (
        "queue lim has no concurrency limit\n"
    )
    assert cli.json("queue", "show", "lim")["concurrency"] is None


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5", "1000001", ""])
def test_a_bad_concurrency_is_one_line_and_stores_nothing(cli: Cli, value: str) -> None:
    cli.enqueue("--id", "j1", "-q", "q", "--command", "true")
    done = cli.run("queue", "limit", "q", "--concurrency", value, check=False)
    assert done.returncode == 1, (done.stdout, done.stderr)
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("Error: --concurrency ") and "or none" in line, line
    assert cli.json("queue", "show", "q")["concurrency"] is None
