"""Rows queuectl would never write, put straight into a real SQLite file and a real
Redis hash: the reading commands show them as best they can, and a worker fails
the jobs it cannot run and goes on with the next.

Such rows come from older versions, from people editing the database by hand and
from broken disks; before, one of them made ``list`` fail for every job.
"""

from __future__ import annotations

import sqlite3
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
}
#: jobs a worker cannot run: dead at once, naming the fields
CANNOT_RUN = {
    "not-utf8": "command",
    "broken-json": "payload",
    "deep-json": "payload",
    "words-for-numbers": "max_retries",
    "bad-timeout": "timeout",
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
