"""Recurring schedules through the real command, fired by real detached workers.

Every run of a schedule is a job named ``NAME@<slot time>``: the tests count the runs
against the slots that passed, on SQLite and on Redis.
"""

from __future__ import annotations

import itertools
import json
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from queuectl_core.serialize import job_view
from tests.e2e.conftest import Cli, wait_for

pytestmark = pytest.mark.e2e

HOSTS = ("host-a", "host-b", "host-c")
DAY = 86400.0
#: How long the exactly-once test lets three hosts race for an every-second schedule.
RACE_SECONDS = 15


def ts(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def slot(job_id: str) -> float:
    """The slot time in a scheduled run's id (``NAME@2025-01-02T03:04:05Z``)."""
    return ts(job_id.partition("@")[2])


def runs(cli: Cli, name: str) -> list[dict[str, Any]]:
    """The jobs schedule ``name`` enqueued, oldest slot first, as ``list --json`` shows
    them (read in this process: the tests look often, and the CLI's start-up under load
    would take the workers' CPU)."""
    with cli.queue() as queue:
        jobs = [job_view(job) for job in queue.iter_jobs() if job.schedule == name]
    return sorted(jobs, key=lambda job: job["id"])


def slots(cli: Cli, name: str) -> list[float]:
    return [slot(job["id"]) for job in runs(cli, name) if "@run-" not in job["id"]]


def start_on_hosts(cli: Cli, hosts: tuple[str, ...], count: int = 1) -> None:
    for host in hosts:
        cli.env["QUEUECTL_HOSTNAME"] = host
        cli.run("worker", "start", "--count", str(count))
    cli.env.pop("QUEUECTL_HOSTNAME")


def stop_on_hosts(cli: Cli, hosts: tuple[str, ...]) -> None:
    for host in hosts:
        cli.env["QUEUECTL_HOSTNAME"] = host
        cli.run("worker", "stop")
    cli.env.pop("QUEUECTL_HOSTNAME")
    assert cli.workers() == []


def poll(predicate: Callable[[], object], timeout: float, what: str) -> None:
    """``wait_for`` at a pace that leaves the workers the CPU (each look runs the CLI)."""
    wait_for(predicate, timeout, what, interval=0.25)


def worker_log(cli: Cli) -> str:
    return (cli.root / "state" / "queuectl" / "workers.log").read_text()


def schedule(cli: Cli, name: str) -> dict[str, Any]:
    found: dict[str, Any] = cli.json("schedule", "show", name)
    return found


def test_an_every_second_schedule_runs_once_per_slot_with_three_hosts_racing(
    cli: Cli,
) -> None:
    out = cli.root / "ran.txt"
    cli.run(
        "schedule", "add", "tick", "--every", "1s", "--overlap", "allow",
        "--command", f"echo $QUEUECTL_JOB_ID >> {out}",
    )  # fmt: skip
    start_on_hosts(cli, HOSTS)
    started = time.time()
    time.sleep(RACE_SECONDS)
    cli.run("schedule", "pause", "tick")
    paused = time.time()
    poll(lambda: all(job["state"] == "completed" for job in runs(cli, "tick")), 20, "the runs")
    stop_on_hosts(cli, HOSTS)

    fired = slots(cli, "tick")
    # one run per second from the first to the last, none missing, none twice
    assert fired == [fired[0] + n for n in range(len(fired))], fired
    assert fired[0] <= started + 1 and fired[-1] >= paused - 2, (started, fired, paused)
    assert len(fired) >= RACE_SECONDS - 1
    ran = Counter(out.read_text().split())
    assert sorted(ran) == [job["id"] for job in runs(cli, "tick")] and set(ran.values()) == {1}
    # every host fired some (no leader), and each slot was enqueued by one of them
    enqueued = [
        line for line in worker_log(cli).splitlines() if "schedule tick: enqueued job" in line
    ]
    assert len(enqueued) == len(fired)
    assert len({line.split()[1].rsplit("-", 2)[0] for line in enqueued}) >= 2
    assert schedule(cli, "tick")["last_job_id"] == runs(cli, "tick")[-1]["id"]


def test_catch_up_after_the_workers_were_stopped(cli: Cli) -> None:
    every_second = ("--every", "1s", "--overlap", "allow", "--command", "true")
    cli.run("schedule", "add", "sec-all", *every_second, "--catch-up", "all")
    cli.run("schedule", "add", "sec-latest", *every_second, "--catch-up", "latest")
    # daily at the Tokyo time of two hours ago: its latest slot is two hours late
    tokyo = datetime.fromtimestamp(time.time() - 7200, ZoneInfo("Asia/Tokyo"))
    daily = f"{tokyo.minute} {tokyo.hour} * * *"
    for policy in ("none", "latest", "all"):
        cli.run("schedule", "add", f"d-{policy}", "--cron", daily, "--timezone", "Asia/Tokyo",
                "--command", "true", "--catch-up", policy)  # fmt: skip
    cli.run("worker", "start", "--count", "1")
    poll(lambda: len(slots(cli, "sec-latest")) >= 2, 20, "runs before the stop")
    cli.run("worker", "stop")
    stopped = time.time()
    # The workers are away for days, as far as the daily schedules can tell: their
    # next runs go back five days (what a five-day stop would have left).
    due = {}
    with cli.queue() as queue:
        for policy in ("none", "latest", "all"):
            name = f"d-{policy}"
            due[policy] = queue.schedule(name).next_run_at
            assert due[policy] is not None
            assert queue.storage.advance_schedule(name, due[policy], due[policy] - 5 * DAY)
    time.sleep(3.5)
    cli.run("worker", "start", "--count", "1")
    poll(lambda: max(slots(cli, "sec-latest")) > stopped + 4, 20, "runs after the restart")

    def caught_up() -> bool:
        return all(
            ts(schedule(cli, f"d-{policy}")["next_run_at"]) == due[policy]
            for policy in ("none", "latest", "all")
        )

    poll(caught_up, 20, "the daily schedules to catch up")
    cli.run("worker", "stop")

    every_slot = slots(cli, "sec-all")
    assert every_slot == [every_slot[0] + n for n in range(len(every_slot))], every_slot
    latest = slots(cli, "sec-latest")
    gaps = [b - a for a, b in itertools.pairwise(latest) if b - a > 1]
    assert len(gaps) == 1 and gaps[0] >= 3, latest  # the stop's slots: one run for them all
    assert slots(cli, "d-none") == []  # two hours late: missed
    assert slots(cli, "d-latest") == [due["latest"] - DAY]
    assert slots(cli, "d-all") == [due["all"] - n * DAY for n in range(5, 0, -1)]
    assert schedule(cli, "d-all")["last_state"] == "completed"


def test_overlap_policies_with_a_slow_job(cli: Cli) -> None:
    for policy in ("allow", "skip", "queue"):
        cli.run("schedule", "add", f"slow-{policy}", "--every", "1s", "--overlap", policy,
                "--command", "sleep 2.5")  # fmt: skip
    cli.run("worker", "start", "--count", "6")
    time.sleep(7)
    for policy in ("allow", "skip", "queue"):
        cli.run("schedule", "pause", f"slow-{policy}")
    allowed = slots(cli, "slow-allow")
    assert allowed == [allowed[0] + n for n in range(len(allowed))] and len(allowed) >= 5
    skipped = runs(cli, "slow-skip")
    assert 2 <= len(skipped) <= 4, [job["id"] for job in skipped]
    queued = runs(cli, "slow-queue")
    # queue: a run due while the one before has not ended waits for it, whatever its
    # outcome (how many run depends on that wait: see the test below)
    for before, after in itertools.pairwise(queued):
        assert after["after"] in ([], [before["id"]]) and after["after_any"] == bool(
            after["after"]
        ), after
    assert any(job["after"] for job in queued)
    poll(lambda: all(job["state"] == "completed" for job in runs(cli, "slow-skip")), 15, "the runs")
    spans = sorted(attempt_span(cli, job["id"]) for job in runs(cli, "slow-skip"))
    # skip: a run starts only after the previous one ended
    assert all(b[0] >= a[1] for a, b in itertools.pairwise(spans)), spans
    poll(lambda: all(j["state"] == "completed" for j in runs(cli, "slow-allow")), 15, "runs")
    spans = sorted(attempt_span(cli, job["id"]) for job in runs(cli, "slow-allow"))
    assert any(b[0] < a[1] for a, b in itertools.pairwise(spans)), spans


def test_overlap_queue_starts_each_run_after_the_previous_ended(cli: Cli) -> None:
    cli.run("schedule", "add", "q", "--every", "1s", "--overlap", "queue",
            "--command", "sleep 1.5")  # fmt: skip
    cli.run("worker", "start", "--count", "3")
    time.sleep(4)
    cli.run("schedule", "pause", "q")
    poll(lambda: all(job["state"] == "completed" for job in runs(cli, "q")), 20, "the runs")
    spans = sorted(attempt_span(cli, job["id"]) for job in runs(cli, "q"))
    assert len(spans) >= 2
    assert all(b[0] >= a[1] for a, b in itertools.pairwise(spans)), spans


def attempt_span(cli: Cli, job_id: str) -> tuple[float, float]:
    """When the job's one attempt started and ended."""
    with cli.queue() as queue:
        [attempt] = queue.attempts(job_id)
    assert attempt.finished_at is not None
    return attempt.started_at, attempt.finished_at


def test_pause_resume_run_remove_and_update_in_place(cli: Cli) -> None:
    cli.run("schedule", "add", "s", "--every", "1s", "--command", "echo one", "-q", "mail")
    listed = cli.json("schedule", "list")
    assert [(s["name"], s["every"], s["paused"]) for s in listed] == [("s", 1.0, False)]
    cli.run("worker", "start", "--count", "2")
    poll(lambda: len(runs(cli, "s")) >= 2, 20, "runs")
    assert cli.run("schedule", "pause", "s").stdout == "paused schedule s\n"
    paused = schedule(cli, "s")
    assert paused["paused"] and paused["next_run_at"] is None
    count = len(runs(cli, "s"))
    time.sleep(2.5)
    assert len(runs(cli, "s")) == count  # a paused schedule does not fire
    assert "paused" in cli.run("schedule", "list").stdout

    job_id = cli.run("schedule", "run", "s").stdout.strip()  # fire now, even when paused
    assert job_id.startswith("s@run-")
    done = cli.wait_state(job_id, "completed")
    assert done["schedule"] == "s" and done["queue"] == "mail"
    assert cli.run("logs", job_id).stdout == "one\n"
    shown = schedule(cli, "s")
    assert shown["last_job_id"] == job_id and shown["last_state"] == "completed"

    assert "resumed schedule s, next run" in cli.run("schedule", "resume", "s").stdout
    poll(lambda: len(runs(cli, "s")) >= count + 3, 20, "runs after resume")

    out = cli.run("schedule", "add", "s", "--every", "1s", "--command", "echo two").stdout
    assert out.startswith("updated schedule s (every 1s), next run")
    updated = schedule(cli, "s")
    assert updated["created_at"] == shown["created_at"] and updated["job"] == {
        "command": "echo two"
    }
    poll(
        lambda: any(job["command"] == "echo two" and job["state"] == "completed"
                    for job in runs(cli, "s")),
        10, "a run of the updated schedule",
    )  # fmt: skip
    assert [s["name"] for s in cli.json("schedule", "list")] == ["s"]

    assert cli.run("schedule", "remove", "s").stdout == "removed schedule s\n"
    count = len(runs(cli, "s"))
    time.sleep(2)
    assert len(runs(cli, "s")) == count and count > 0  # its jobs stay, no new ones
    for command in ("show", "remove", "pause", "resume", "run"):
        gone = cli.run("schedule", command, "s", check=False)
        assert (gone.returncode, gone.stderr) == (1, "Error: no schedule named 's'\n")
    assert cli.run("schedule", "list").stdout == "no schedules\n"


#: Bad ``schedule add`` options and what their one-line error says.
BAD_OPTIONS = [
    (["--cron", "61 * * * *"], "cron: '61 * * * *' is not a cron expression"),
    (["--cron", "0 0 30 2 *"], "that ever fires (Bad day-of-month)"),
    (["--cron", "* * * * *", "--timezone", "Nowhere/Atlantis"], "unknown time zone"),
    (["--every", "0"], "every must be whole seconds and between 1s and 1 year"),
    (["--every", "ten minutes"], "every: 'ten minutes' is not a duration"),
    (["--every", "1m", "--timezone", "UTC"], "timezone applies to a cron expression only"),
    ([], "give either a cron expression or an interval (every)"),
    (["--cron", "* * * * *", "--every", "1m"], "give either"),
    (["--every", "1m", "--priority", "asap"], "job: priority must be a whole number"),
    (["--every", "1m", "--type", "nonesuch"], "job: unknown type 'nonesuch'"),
]


def test_bad_input_is_a_one_line_error_and_stores_nothing(cli: Cli) -> None:
    for args, message in BAD_OPTIONS[:2]:  # before there is a queue: none is created
        done = cli.run("schedule", "add", "bad", "--command", "true", *args, check=False)
        assert done.returncode == 1 and message in done.stderr, done
    nothing = cli.run("schedule", "list", check=False)
    assert nothing.returncode == 1 and "Error: no queue at" in nothing.stderr, nothing
    cli.run("init")
    for args, message in BAD_OPTIONS:
        done = cli.run("schedule", "add", "bad", "--command", "true", *args, check=False)
        assert done.returncode == 1, done
        assert done.stderr.startswith("Error: ") and message in done.stderr, done.stderr
        assert done.stderr.count("\n") == 1 and done.stdout == ""
    for name in ("-x", "a b", "a/b", "n" * 101, "über"):
        done = cli.run("schedule", "add", "--every", "1m", "--command", "true", "--", name,
                       check=False)  # fmt: skip
        assert done.returncode == 1 and "schedule name must be 1-100" in done.stderr, done
    done = cli.run("schedule", "add", "x", "--every", "1m", "--catch-up", "some", check=False)
    assert done.returncode == 2 and "'some' is not one of 'none', 'latest', 'all'" in done.stderr
    assert json.loads(cli.run("schedule", "list", "--json").stdout) == []
