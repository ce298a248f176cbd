"""Reading commands never create a queue; ``queuectl init`` and writing commands do."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli

pytestmark = pytest.mark.e2e

#: Commands that only read, or change jobs that would have to exist already.
READING = [
    ["status"],
    ["status", "--json"],
    ["list"],
    ["list", "--format", "csv"],
    ["show", "j1"],
    ["logs", "j1"],
    ["cancel", "j1"],
    ["dlq", "list"],
    ["dlq", "retry", "--all"],
    ["dlq", "purge", "--yes"],
    ["purge", "--state", "completed", "--yes"],
    ["config", "get", "max_retries"],
    ["config", "get"],
    ["config", "list", "--json"],
    ["config", "unset", "max_retries"],
    ["worker", "list"],
]


def is_redis(cli: Cli) -> bool:
    return cli.env.get("QUEUECTL_BACKEND") == "redis"


def namespace_keys(cli: Cli) -> list[bytes]:
    """Every key of the Redis namespace the command uses."""
    import redis

    client = redis.Redis.from_url(cli.env["QUEUECTL_REDIS_URL"])
    try:
        return list(client.scan_iter(match=f"*{cli.env['QUEUECTL_REDIS_PREFIX']}*"))
    finally:
        client.close()


def nothing_created(cli: Cli) -> bool:
    if is_redis(cli):
        return namespace_keys(cli) == []
    return not cli.db.parent.exists()


@pytest.fixture
def fresh(cli: Cli, tmp_path: Path) -> Cli:
    """The command pointed at a location where no queue is (SQLite: in a directory that
    does not exist either)."""
    if not is_redis(cli):
        cli.db = tmp_path / "typo" / "queue.db"
        cli.env["QUEUECTL_DB"] = str(cli.db)
    return cli


@pytest.mark.parametrize("args", READING, ids=" ".join)
def test_a_reading_command_creates_nothing(fresh: Cli, args: list[str]) -> None:
    done = fresh.run(*args, check=False)
    assert done.returncode == 1, done
    assert done.stdout == ""
    [line] = done.stderr.splitlines()
    assert line.startswith("Error: no queue at ")
    assert "queuectl init" in line
    if not is_redis(fresh):
        assert str(fresh.db) in line
    assert nothing_created(fresh)


def test_init_creates_the_queue_once_and_says_where(fresh: Cli) -> None:
    first = fresh.json("init")
    assert first["created"] is True
    assert first["backend"] == ("redis" if is_redis(fresh) else "sqlite")
    if not is_redis(fresh):
        assert first["location"] == str(fresh.db) and fresh.db.is_file()
    assert fresh.json("init") == {**first, "created": False}
    assert f"exists at {first['location']}" in fresh.run("init").stdout
    assert fresh.json("status")["total"] == 0
    assert fresh.json("list") == []
    assert fresh.run("worker", "list").stdout == "no workers\n"


def test_init_reports_a_new_queue_in_words(fresh: Cli) -> None:
    said = fresh.run("init").stdout
    assert said.startswith("created a ") and said.rstrip().endswith(
        fresh.json("status")["location"]
    )


@pytest.mark.parametrize(
    "args",
    [
        ["enqueue", "--command", "true"],
        ["config", "set", "max_retries", "5"],
        ["worker", "run", "--burst"],
    ],
    ids=" ".join,
)
def test_a_writing_command_creates_the_queue(fresh: Cli, args: list[str]) -> None:
    fresh.run(*args)
    assert not nothing_created(fresh)
    status = json.loads(fresh.run("status", "--json").stdout)
    assert status["states"]["pending"] == (1 if args[0] == "enqueue" else 0)


@pytest.mark.parametrize(
    "args",
    [
        ["enqueue", '{"command": "true", "delay": "-5s"}'],
        ["enqueue", "--command", "true", "--type", "no-such-handler"],
        ["enqueue", "--file", "-"],
        ["config", "set", "max_retries", "-1"],
        ["config", "set", "no_such_setting", "1"],
    ],
    ids=" ".join,
)
def test_a_refused_write_creates_nothing(fresh: Cli, args: list[str]) -> None:
    """Input is validated before the queue is opened: a refused job or setting leaves no
    trace, not even a new empty queue."""
    done = fresh.run(*args, check=False, input='{"command": "x"}\n{"command": 5}\n')
    assert done.returncode == 1, done
    assert len(done.stderr.splitlines()) == 1 and done.stderr.startswith("Error: ")
    assert nothing_created(fresh)


def test_a_queue_from_before_init_existed_still_opens(fresh: Cli) -> None:
    """A queue some jobs went through (and were purged from) still counts as existing."""
    job = fresh.enqueue("--command", "true")
    fresh.run("worker", "run", "--burst")
    fresh.run("purge", "--state", "completed", "--yes")
    assert fresh.json("status")["total"] == 0
    assert fresh.run("show", job, check=False).stderr.startswith("Error: no job with id")
