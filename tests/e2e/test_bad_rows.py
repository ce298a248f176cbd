"""Rows queuectl would never write, put straight into a real SQLite file and a real
Redis hash: the reading commands show them as best they can, and a worker fails
the jobs it cannot run and goes on with the next.

Such rows come from older versions, from people editing the database by hand and
from broken disks; before, one of them made ``list`` fail for every job. A state
queuectl does not know counts as dead for the commands that name a job by id, a job
id that is not UTF-8 is failed once (it used to come back as lost forever), and an
attempt's bad values are shown as placeholders.
"""

from __future__ import annotations

import base64
import sqlite3
import subprocess
from typing import Any

import pytest

from tests.e2e.conftest import Cli

pytestmark = pytest.mark.e2e

YEAR_1 = -62135596800.0  # 0001-01-01T00:00:00Z

#: job id -> {field: stored value}, as SQLite holds them (Redis: their text)
CORRUPTIONS: dict[str, dict[str, Any]] = {
    "far-future": {"next_run_at": 1e300},
    "ancient": {"created_at": YEAR_1, "updated_at": 1e20},
    "not-utf8": {"command": b"echo \xff\xfe"},
    "broken-json": {"payload": '{"to": "ann"'},
    "deep-json": {"payload": "[" * 100_000 + "]" * 100_000},
    "words-for-numbers": {"priority": "high", "max_retries": "lots"},
    "bad-timeout": {"timeout": "soon"},
    "broken-options": {"options": '{"cwd": '},
    "wrong-options": {"options": '{"env": {"A": 1}, "retry_on_exit": "75"}'},
}
#: the fields each corrupted job shows as unreadable
UNREADABLE = {
    "far-future": ["next_run_at"],
    "ancient": ["created_at", "updated_at"],
    "not-utf8": ["command"],
    "broken-json": ["payload"],
    "deep-json": ["payload"],
    "words-for-numbers": ["priority", "max_retries"],
    "bad-timeout": ["timeout"],
    "broken-options": ["options"],
    "wrong-options": ["options"],
}
#: jobs a worker cannot run: dead at once, naming the fields
CANNOT_RUN = {
    "not-utf8": "command",
    "broken-json": "payload",
    "deep-json": "payload",
    "words-for-numbers": "max_retries",
    "bad-timeout": "timeout",
    "broken-options": "options",
    "wrong-options": "options",
}


def corrupt(cli: Cli, job_id: str, fields: dict[str, Any]) -> None:
    """Write ``fields`` into the stored job as they are, behind queuectl's back."""
    with cli.queue() as queue:
        storage: Any = queue.storage
        if queue.location is not None and queue.location.backend == "redis":
            values = {
                name: value if isinstance(value, bytes) else str(value).encode()
                for name, value in fields.items()
            }
            storage.client.hset(storage.keys.job(job_id), mapping=values)
            return
        path = storage.path
    with sqlite3.connect(path) as conn:
        for name, value in fields.items():
            if isinstance(value, bytes):  # TEXT holding bytes that are not UTF-8
                conn.execute(
                    f"UPDATE jobs SET {name} = CAST(? AS TEXT) WHERE id = ?", (value, job_id)
                )
            else:
                conn.execute(f"UPDATE jobs SET {name} = ? WHERE id = ?", (value, job_id))
    conn.close()


@pytest.fixture
def corrupted(cli: Cli) -> Cli:
    cli.enqueue("--id", "good-before", "--command", "echo before")
    for job_id in CORRUPTIONS:
        cli.enqueue("--id", job_id, "--command", f"echo {job_id}")
    cli.enqueue("--id", "good-after", "--command", "echo after")
    for job_id, fields in CORRUPTIONS.items():
        corrupt(cli, job_id, fields)
    return cli


def test_reading_commands_show_every_row(corrupted: Cli) -> None:
    cli = corrupted
    listed = {job["id"]: job for job in cli.json("list")}
    assert set(listed) == {*CORRUPTIONS, "good-before", "good-after"}
    for job_id, fields in UNREADABLE.items():
        assert listed[job_id]["unreadable"] == fields, job_id
    assert listed["good-after"]["unreadable"] == []
    assert listed["not-utf8"]["command"].startswith("echo ")  # the readable part
    assert listed["broken-json"]["payload"] == '{"to": "ann"'  # the stored text
    assert listed["ancient"]["created_at"] == "1970-01-01T00:00:00.000Z"  # placeholder
    assert listed["words-for-numbers"]["priority"] == 0

    table = cli.run("list").stdout
    assert all(job_id in table for job_id in CORRUPTIONS)
    for job_id in CORRUPTIONS:
        shown = cli.run("show", job_id).stdout
        assert f"unreadable:  {', '.join(UNREADABLE[job_id])}" in shown
        assert cli.job(job_id)["unreadable"] == UNREADABLE[job_id]
    assert cli.json("status")["total"] == len(CORRUPTIONS) + 2
    assert cli.run("status").returncode == 0
    assert cli.json("dlq", "list") == []


def test_a_worker_fails_the_jobs_it_cannot_run_and_runs_the_others(corrupted: Cli) -> None:
    cli = corrupted
    cli.config(poll_interval="0.05")
    cli.run("worker", "run", "--burst", timeout=60)
    for job_id, field in CANNOT_RUN.items():
        job = cli.job(job_id)
        assert job["state"] == "dead", job
        assert job["last_error"].startswith(f"stored job is unreadable ({field}"), job
        assert [attempt["outcome"] for attempt in job["history"]] == ["failed"]
    for job_id in ("good-before", "good-after", "ancient"):  # times are only shown
        assert cli.job(job_id)["state"] == "completed", job_id
    assert cli.run("logs", "good-after").stdout == "after\n"
    dead = {job["id"] for job in cli.json("dlq", "list")}
    assert dead == set(CANNOT_RUN)
    assert cli.run("dlq", "list").returncode == 0


def corrupt_attempt(cli: Cli, job_id: str, number: int, fields: dict[str, Any]) -> None:
    """Write ``fields`` into attempt ``number`` of the job as they are."""
    with cli.queue() as queue:
        storage: Any = queue.storage
        if queue.location is not None and queue.location.backend == "redis":
            values = {
                name: value if isinstance(value, bytes) else str(value).encode()
                for name, value in fields.items()
            }
            storage.client.hset(storage.keys.attempt(job_id, number), mapping=values)
            return
        path = storage.path
    with sqlite3.connect(path) as conn:
        for name, value in fields.items():
            cast = "CAST(? AS TEXT)" if isinstance(value, bytes) and name == "error" else "?"
            conn.execute(
                f"UPDATE attempts SET {name} = {cast} WHERE job_id = ? AND number = ?",
                (value, job_id, number),
            )
    conn.close()


def rename(cli: Cli, job_id: str, new_id: bytes) -> None:
    """Give the stored job the id ``new_id`` (bytes that need not be UTF-8), in its row
    or hash and in every index that names it, as a person editing by hand would."""
    with cli.queue() as queue:
        storage: Any = queue.storage
        if queue.location is not None and queue.location.backend == "redis":
            client, key = storage.client, storage.keys.job(job_id)
            old, member = job_id.encode(), client.hget(key, "member")
            new_member = None if member is None else member[: -len(old)] + new_id
            for index in client.scan_iter(match=storage.keys.namespace.encode() + b":*"):
                if client.type(index) != b"zset":
                    continue
                for was, now in ((old, new_id), (member, new_member)):
                    score = None if was is None else client.zscore(index, was)
                    if score is not None:
                        client.zrem(index, was)
                        client.zadd(index, {now: score})
            client.hset(key, mapping={"id": new_id, **({"member": new_member} if member else {})})
            client.rename(key, storage.keys.namespace.encode() + b":job:" + new_id)
            return
        path = storage.path
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE jobs SET id = CAST(? AS TEXT) WHERE id = ?", (new_id, job_id))
    conn.close()


def test_a_state_queuectl_does_not_know_counts_as_dead_by_id(cli: Cli) -> None:
    for job_id in ("to-retry", "to-purge", "to-cancel"):
        cli.enqueue("--id", job_id, "--command", f"echo {job_id}")
        corrupt(cli, job_id, {"state": "zombie"})
    cli.enqueue("--id", "good", "--command", "echo good")
    cli.config(poll_interval="0.05")

    cli.run("worker", "run", "--burst", timeout=60)  # no worker takes a state it does not know
    assert cli.job("to-retry")["history"] == []
    assert cli.job("good")["state"] == "completed"
    done = cli.run("cancel", "to-cancel", check=False)
    assert done.returncode == 1
    assert done.stderr == (
        "Error: job 'to-cancel' is dead; "
        "only pending, failed, processing or waiting jobs can be cancelled\n"
    )
    assert cli.json("dlq", "retry", "to-retry") == ["to-retry"]
    retried = cli.job("to-retry")
    assert (retried["state"], retried["attempts"], retried["unreadable"]) == ("pending", 0, [])
    assert cli.json("dlq", "purge", "to-purge") == {"purged": 1}
    assert cli.run("show", "to-purge", check=False).returncode == 1
    for args in (
        ["dlq", "purge", "--yes"],
        ["purge", "--state", "dead", "--yes"],
        ["dlq", "retry", "--all"],
    ):
        assert cli.run(*args).returncode == 0  # by state: left out, never a crash
    assert cli.job("to-cancel")["unreadable"] == ["state"]

    cli.run("worker", "run", "--burst", timeout=60)
    assert cli.run("logs", "to-retry").stdout == "to-retry\n"


def test_a_job_id_that_is_not_utf8_is_failed_once_and_never_blocks_others(cli: Cli) -> None:
    cli.enqueue("--id", "bad", "--command", "echo bad", "--priority", "9")
    cli.enqueue("--id", "good", "--command", "echo good")
    rename(cli, "bad", b"bad-\xff\xfe")
    # a lost job would come back after the lease: a short one shows it does not
    cli.config(poll_interval="0.05", heartbeat_interval="0.1", lease_timeout="0.5")

    cli.run("worker", "run", "--burst", timeout=60)
    jobs = {job["id"]: job for job in cli.json("list")}
    bad = jobs["bad-\ufffd\ufffd"]
    assert bad["unreadable"] == ["id"]
    assert (bad["state"], bad["attempts"], bad["worker_id"]) == ("dead", 1, None)
    assert bad["last_error"].startswith("stored job is unreadable (id): not run")
    assert jobs["good"]["state"] == "completed"
    cli.run("worker", "run", "--burst", timeout=60)  # nothing comes back as lost
    again = {job["id"]: job for job in cli.json("list")}
    assert (again["bad-\ufffd\ufffd"]["state"], again["bad-\ufffd\ufffd"]["attempts"]) == (
        "dead",
        1,
    )

    assert cli.json("dlq", "retry", "--all") == ["bad-\ufffd\ufffd"]
    cli.run("worker", "run", "--burst", timeout=60)
    assert [job["state"] for job in cli.json("dlq", "list")] == ["dead"]
    assert cli.json("dlq", "purge", "--yes") == {"purged": 1}
    assert [job["id"] for job in cli.json("list")] == ["good"]


def test_attempts_with_bad_values_are_shown_with_placeholders(cli: Cli) -> None:
    cli.enqueue("--id", "odd", "--command", "echo out; exit 3", "--max-retries", "0")
    cli.config(poll_interval="0.05")
    cli.run("worker", "run", "--burst", timeout=60)
    corrupt_attempt(
        cli,
        "odd",
        1,
        {
            "error": b"broke \xff here",
            "stdout": b"out \xfe\n",
            "started_at": 1e300,
            "finished_at": "later",
            "outcome": "exploded",
        },
    )

    shown = cli.run("show", "odd").stdout
    assert "broke \ufffd here" in shown and "failed" in shown
    [attempt] = cli.job("odd")["history"]
    assert attempt["outcome"] == "failed"
    assert attempt["error"] == "broke \ufffd here"
    assert attempt["started_at"] == "1970-01-01T00:00:00.000Z"  # placeholder
    assert attempt["finished_at"] is None
    printed = subprocess.run(cli.command("logs", "odd"), env=cli.env, capture_output=True)
    assert (printed.returncode, printed.stdout) == (0, b"out \xfe\n")  # byte for byte
    logs = cli.json("logs", "odd")
    assert logs["stdout"] == "out \ufffd\n"
    assert base64.b64decode(logs["stdout_base64"]) == b"out \xfe\n"
