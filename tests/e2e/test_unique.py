"""Unique jobs at the real command, on SQLite and Redis: concurrent enqueuers of one key
store one job, a duplicate prints the existing id, and bad keys store nothing."""

from __future__ import annotations

import json
import subprocess
import time

import pytest

from queuectl_core.queue import prepare_jobs
from tests.e2e.conftest import Cli

pytestmark = pytest.mark.e2e

RACERS = 4


def race(cli: Cli, *args: str) -> list[subprocess.CompletedProcess[str]]:
    """``queuectl enqueue ARGS`` in ``RACERS`` processes started together."""
    procs = [
        subprocess.Popen(
            cli.command("enqueue", *args),
            env=cli.env,
            cwd=cli.root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(RACERS)
    ]
    done = []
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        done.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return done


def test_four_racing_enqueuers_of_one_key_store_one_job(cli: Cli) -> None:
    cli.run("init")  # the race is for the key, not for creating the queue
    for round_ in range(3):
        key = f"report:{round_}"
        done = race(cli, "--command", "true", "--unique-key", key, "--json")
        assert [proc.returncode for proc in done] == [0] * RACERS, [p.stderr for p in done]
        answers = [json.loads(proc.stdout) for proc in done]
        assert len({answer["id"] for answer in answers}) == 1
        assert sorted(answer["duplicate"] for answer in answers) == [False] + [True] * 3
        for proc, answer in zip(done, answers, strict=True):
            assert answer["unique_key"] == key
            if answer["duplicate"]:
                assert proc.stderr.strip() == (
                    f"duplicate of job {answer['id']} (pending, unique key {key!r}): not enqueued"
                )
            else:
                assert proc.stderr == ""
    listed = cli.json("list")
    assert sorted(job["unique_key"] for job in listed) == ["report:0", "report:1", "report:2"]

    texts = race(cli, "--command", "true", "--unique-key", "plain")  # without --json
    ids = {proc.stdout.strip() for proc in texts}
    assert len(ids) == 1 and all(proc.returncode == 0 for proc in texts)
    assert sum("duplicate of job" in proc.stderr for proc in texts) == RACERS - 1
    assert len(cli.json("list")) == 4


def test_a_key_is_free_again_once_its_job_ended(cli: Cli) -> None:
    first = cli.enqueue("--command", "true", "--unique-key", "nightly")
    assert cli.enqueue("--command", "true", "--unique-key", "nightly") == first
    cli.run("worker", "run", "--burst")
    assert cli.job(first)["state"] == "completed"
    second = cli.json("enqueue", "--command", "true", "--unique-key", "nightly")
    assert second["id"] != first and second["duplicate"] is False
    # counting completed jobs too: the key's job is now the second, still pending
    third = cli.json(
        "enqueue", "-c", "true", "--unique-key", "nightly", "--unique-while", "completed"
    )
    assert third["duplicate"] is False
    fourth = cli.json("enqueue", "-c", "true", "--unique-key", "nightly")
    assert (fourth["id"], fourth["duplicate"]) == (third["id"], True)


def test_unique_while_completed_and_purge(cli: Cli) -> None:
    done = cli.enqueue("--command", "true", "--unique-key", "once")
    cli.run("worker", "run", "--burst")
    again = cli.run(
        "enqueue", "-c", "true", "--unique-key", "once", "--unique-while", "completed,pending"
    )
    assert again.stdout.strip() == done and "duplicate of job" in again.stderr
    shown = cli.run("show", done).stdout
    assert "unique key:  once (an enqueue with it is a duplicate of this job while" in shown
    cli.run("purge", "--state", "completed", "--yes")
    after = cli.json("enqueue", "-c", "true", "--unique-key", "once", "--unique-while", "completed")
    assert after["duplicate"] is False and after["id"] != done


def test_unique_for_is_a_window_from_the_job_creation(cli: Cli) -> None:
    """A job made an hour ago (stored directly, as if enqueued then) counts for a window
    of 2 hours, not for one of 30 minutes: no sleeping, and no race with a slow start."""
    an_hour_ago = time.time() - 3600
    with cli.queue() as queue:
        [old] = prepare_jobs([{"command": "true", "unique_key": "w"}])
        queue.storage.enqueue([old.evolve(created_at=an_hour_ago, updated_at=an_hour_ago)])
    within = cli.json("enqueue", "-c", "true", "--unique-key", "w", "--unique-for", "2h")
    assert (within["id"], within["duplicate"]) == (old.id, True)
    past = cli.json("enqueue", "-c", "true", "--unique-key", "w", "--unique-for", "30m")
    assert past["duplicate"] is False and past["id"] != old.id
    job = cli.job(past["id"])
    assert (job["unique_for"], job["unique_while"]) == (1800.0, None)
    # the key now names the new job, made just now
    again = cli.json("enqueue", "-c", "true", "--unique-key", "w", "--unique-for", "30m")
    assert (again["id"], again["duplicate"]) == (past["id"], True)


def test_a_file_skips_its_duplicates_and_reports_them(cli: Cli) -> None:
    existing = cli.enqueue("--command", "true", "--unique-key", "a")
    lines = "\n".join(
        [
            '{"id": "j1", "command": "true", "unique_key": "a"}',
            '{"id": "j2", "command": "true", "unique_key": "b"}',
            '{"id": "j3", "command": "true", "unique_key": "b"}',
            '{"id": "j4", "command": "true", "unique_while": ["pending"], "unique_key": "c"}',
        ]
    )
    done = cli.run("enqueue", "--file", "-", input=lines)
    assert done.stdout.strip() == "enqueued 2 jobs, 2 duplicates skipped"
    assert done.stderr.splitlines() == [
        f"line 1: duplicate of job {existing} (pending, unique key 'a'): not enqueued",
        "line 3: duplicate of job j2 (pending, unique key 'b'): not enqueued",
    ]
    assert sorted(job["id"] for job in cli.json("list")) == sorted([existing, "j2", "j4"])
    without_ids = "\n".join(
        json.dumps({key: value for key, value in json.loads(line).items() if key != "id"})
        for line in lines.splitlines()
    )
    again = json.loads(cli.run("enqueue", "--file", "-", "--json", input=without_ids).stdout)
    assert [(job["id"], job["duplicate"]) for job in again] == [
        (existing, True),
        ("j2", True),
        ("j2", True),
        ("j4", True),
    ]


#: (arguments, what the one-line error says)
REFUSED: dict[str, tuple[list[str], str]] = {
    "empty key": (["-c", "true", "--unique-key", ""], "unique_key must not be empty"),
    "blank key": (["-c", "true", "--unique-key", "  "], "unique_key must not be empty"),
    "key of 201 characters": (["-c", "true", "--unique-key", "k" * 201], "at most 200"),
    "newline in key": (["-c", "true", "--unique-key", "a\nb"], "control characters"),
    "key not a string": (['{"command": "true", "unique_key": 5}'], "unique_key must be a string"),
    "zero window": (
        ["-c", "true", "--unique-key", "k", "--unique-for", "0"],
        "unique_for must be between 1ms and 100 years",
    ),
    "negative window": (["-c", "true", "--unique-key", "k", "--unique-for", "-5"], "unique_for"),
    "window of 200 years": (
        ["-c", "true", "--unique-key", "k", "--unique-for", "73050d"],
        "unique_for must be between 1ms and 100 years",
    ),
    "unknown state": (
        ["-c", "true", "--unique-key", "k", "--unique-while", "pending,running"],
        "unique_while: 'running' is not a state",
    ),
    "no states": (
        ['{"command": "true", "unique_key": "k", "unique_while": []}'],
        "unique_while must be a list of states",
    ),
    "window without key": (["-c", "true", "--unique-for", "1h"], "unique_for needs unique_key"),
    "states without key": (
        ["-c", "true", "--unique-while", "pending"],
        "unique_while needs unique_key",
    ),
}


def test_bad_unique_input_is_refused_in_one_line_and_nothing_is_stored(cli: Cli) -> None:
    cli.run("init")
    wrong = []
    for name, (args, message) in REFUSED.items():
        done = cli.run("enqueue", *args, check=False)
        lines = done.stderr.strip().splitlines()
        if done.returncode != 1 or len(lines) != 1 or message not in lines[0]:
            wrong.append(f"{name}: exit {done.returncode}, stderr {done.stderr[-300:]!r}")
    assert not wrong, "\n".join(wrong)
    batch = '{"id": "a", "command": "true", "unique_key": "k"}\n{"command": "true", "after": ["a"]}'
    done = cli.run("enqueue", "--file", "-", input=batch, check=False)
    assert done.returncode == 1
    assert done.stderr.strip().startswith(
        "Error: line 2: after names 'a', a job of the same batch with a unique key (job 1)"
    )
    assert cli.json("list") == []
    assert cli.json("status")["total"] == 0
