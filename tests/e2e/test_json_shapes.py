"""Every ``--json`` output holds to the shapes docs/json.md documents.

The tables of docs/json.md are the schema: each kind's keys, their types, which may
be null and which are optional. Every command with a ``--json`` option must be run
here (a new one fails ``test_every_json_command_is_checked`` until it is).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import click
import pytest

from tests.e2e.conftest import Cli, wait_for

pytestmark = pytest.mark.e2e

DOC = Path(__file__).parents[2] / "docs" / "json.md"
TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
    "null": (type(None),),
}


class Field:
    def __init__(self, text: str) -> None:
        self.optional = text.endswith(", optional")
        words = text.removesuffix(", optional").split(" or ")
        self.any = words == ["any"]
        self.types = tuple(t for word in words if not self.any for t in TYPES[word])

    def accepts(self, value: Any) -> bool:
        if self.any:
            return True
        if isinstance(value, bool) and bool not in self.types:
            return False  # JSON true is no integer
        return isinstance(value, self.types)


def documented_kinds() -> dict[str, dict[str, Field]]:
    """``### kind`` sections of docs/json.md: key -> Field from their tables."""
    kinds: dict[str, dict[str, Field]] = {}
    current: dict[str, Field] | None = None
    for line in DOC.read_text().splitlines():
        heading = re.fullmatch(r"### ([\w ]+)", line)
        if heading:
            current = kinds.setdefault(heading.group(1), {})
            continue
        row = re.fullmatch(r"\| `(\w+)` \| ([a-z, ]+) \| .* \|", line)
        if row and current is not None:
            current[row.group(1)] = Field(row.group(2))
    return kinds


KINDS = documented_kinds()
#: The job as ``show`` prints it: the job's keys plus ``history``.
KINDS["job with history"] = {**KINDS["job"], **KINDS["job with history"]}
#: An attempt in ``show``'s history: never the output keys.
KINDS["history attempt"] = {k: f for k, f in KINDS["attempt"].items() if not f.optional}


def check(kind: str, value: Any, where: str) -> None:
    """Fail unless ``value`` is an object of ``kind`` as documented."""
    shape = KINDS[kind]
    assert isinstance(value, dict), f"{where}: {kind} is not an object: {value!r}"
    required = {key for key, field in shape.items() if not field.optional}
    assert required <= value.keys() <= shape.keys(), (
        f"{where}: {kind} keys differ: missing {sorted(required - value.keys())}, "
        f"undocumented {sorted(value.keys() - shape.keys())}"
    )
    for key, item in value.items():
        assert shape[key].accepts(item), f"{where}: {kind}.{key} = {item!r}"
    nested = {"workers": "worker", "history": "history attempt", "paused_queues": "paused queue"}
    for key, inner in nested.items():
        if key in value and kind in ("status", "job with history"):
            for element in value[key]:
                check(inner, element, f"{where} {key}")


def check_all(kind: str, value: Any, where: str, nonempty: bool = True) -> None:
    assert isinstance(value, list), f"{where}: not an array: {value!r}"
    assert value or not nonempty, f"{where}: nothing to check"
    for element in value:
        check(kind, element, where)


def test_the_doc_defines_every_kind() -> None:
    kinds = {"job", "attempt", "why", "worker", "status", "setting", "purge", "init"}
    assert kinds | {"plugin", "schedule", "wait", "queue", "paused queue"} <= set(KINDS)
    assert all(KINDS[kind] for kind in KINDS)


#: Every command with --json, as its path of names, and where this module runs it.
CHECKED = {
    ("init",),
    ("enqueue",),
    ("list",),
    ("show",),
    ("why",),
    ("logs",),
    ("cancel",),
    ("wait",),
    ("status",),
    ("dlq", "list"),
    ("dlq", "retry"),
    ("dlq", "purge"),
    ("purge",),
    ("config", "list"),
    ("config", "get"),
    ("config", "set"),
    ("config", "unset"),
    ("worker", "start"),
    ("worker", "stop"),
    ("worker", "list"),
    ("plugins",),
    ("schedule", "add"),
    ("schedule", "list"),
    ("schedule", "show"),
    ("schedule", "run"),
    ("queue", "list"),
    ("queue", "show"),
    ("queue", "pause"),
    ("queue", "resume"),
    ("queue", "limit"),
}


def json_commands() -> set[tuple[str, ...]]:
    """The built-in commands that have a --json option."""
    from queuectl_core.cli import BUILTIN_COMMANDS, cli

    found: set[tuple[str, ...]] = set()
    ctx = click.Context(cli)

    def visit(command: click.Command, path: tuple[str, ...]) -> None:
        if isinstance(command, click.Group):
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                if sub is not None:
                    visit(sub, (*path, name))
        elif any("--json" in param.opts for param in command.params):
            found.add(path)

    for name in BUILTIN_COMMANDS:
        command = cli.get_command(ctx, name)
        assert command is not None
        visit(command, (name,))
    return found


def test_every_json_command_is_checked() -> None:
    assert json_commands() == CHECKED


def test_every_json_output_has_the_documented_shape(cli: Cli) -> None:
    init = cli.json("init")
    check("init", init, "init")
    job = cli.json("enqueue", "--id", "ok", "--command", "echo out; printf '\\377' >&2")
    check("job", job, "enqueue")
    assert job["duplicate"] is False
    keyed = cli.json("enqueue", "-c", "true", "--unique-key", "k", "--unique-while", "pending")
    check("job", keyed, "enqueue --unique-key")
    again = cli.json("enqueue", "-c", "true", "--unique-key", "k", "--unique-for", "1h")
    check("job", again, "enqueue (a duplicate)")
    assert (again["id"], again["duplicate"], again["unique_while"]) == (
        keyed["id"],
        True,
        ["pending"],
    )
    jobs = json.loads(
        cli.run(
            "enqueue",
            "--file",
            "-",
            "--json",
            input='{"id": "bad", "command": "exit 3", "max_retries": 0}\n'
            '{"id": "py", "type": "python", "command": "json:loads", '
            '"payload": {"s": "[1, 2]"}, "timeout": 5, "priority": "high"}\n',
        ).stdout
    )
    check_all("job", jobs, "enqueue --file")
    cli.run("worker", "run", "--burst")
    cli.enqueue("--id", "later", "--command", "true", "--delay", "1h")
    check_all("job", cli.json("list"), "list")
    for line in cli.run("list", "--format", "jsonl").stdout.splitlines():
        check("job", json.loads(line), "list --format jsonl")
    for job_id in ("ok", "bad", "py", "later"):
        check("job with history", cli.json("show", job_id), f"show {job_id}")
        check("why", cli.json("why", job_id), f"why {job_id}")
    check_all("why", cli.json("why", "ok", "later"), "why ID ID")
    logs = cli.json("logs", "ok")
    check("attempt", logs, "logs")
    assert "stderr_base64" in logs  # the optional keys are checked too
    check_all("job", cli.json("dlq", "list"), "dlq list")
    check("job", cli.json("cancel", "later"), "cancel")
    check("wait", cli.json("wait", "ok"), "wait ID...")
    check("wait", cli.json("wait", "--all"), "wait --all")
    waited = cli.run("wait", "bad", "--json", check=False)
    assert waited.returncode == 1
    check("wait", json.loads(waited.stdout), "wait ID (dead)")
    check("job", cli.json("enqueue", "--id", "next", "-c", "true", "--after", "bad"), "--after")

    for setting in cli.json("config", "list"):
        check("setting", setting, "config list")
    check_all("setting", cli.json("config", "get"), "config get")
    check("setting", cli.json("config", "get", "backoff_base"), "config get NAME")
    check("setting", cli.json("config", "set", "backoff_max", "5m"), "config set")
    check("setting", cli.json("config", "unset", "backoff_max"), "config unset")

    check_all("worker", cli.json("worker", "start", "--count", "1"), "worker start")
    cli.enqueue("--id", "long", "--command", "sleep 30")
    cli.wait_state("long", "processing")
    status = cli.json("status")
    check("status", status, "status")
    check("why", cli.json("why", "long"), "why (running)")
    [worker] = cli.json("worker", "list")
    check("worker", worker, "worker list")
    assert worker["live"] and worker["current_jobs"] == ["long"]
    assert [w["id"] for w in status["workers"]] == [worker["id"]]
    check_all("worker", cli.json("worker", "stop", "--force"), "worker stop")
    wait_for(lambda: cli.json("worker", "list") == [], 10, "the worker to leave")
    cli.run("cancel", "long")  # put back by the forced stop: not for the next burst

    retried = cli.json("dlq", "retry", "--all")
    assert retried == ["bad"]
    cli.run("worker", "run", "--burst")
    check("purge", cli.json("dlq", "purge", "--yes"), "dlq purge")
    check("purge", cli.json("purge", "--state", "completed", "--yes"), "purge")
    check_all("plugin", cli.json("plugins"), "plugins")


def test_schedule_json_has_the_documented_shape(cli: Cli) -> None:
    added = cli.json(
        "schedule", "add", "nightly", "--cron", "30 2 * * *", "--timezone", "Europe/Berlin",
        "--command", "true", "--payload", '{"a": 1}', "--catch-up", "all",
    )  # fmt: skip
    check("schedule", added, "schedule add")
    check("schedule", cli.json("schedule", "add", "tick", "--every", "1h", "-c", "true"), "add")
    check("job", cli.json("schedule", "run", "nightly"), "schedule run")
    check_all("schedule", cli.json("schedule", "list"), "schedule list")
    shown = cli.json("schedule", "show", "nightly")
    check("schedule", shown, "schedule show")
    assert shown["last_state"] == "pending" and shown["last_job_id"].startswith("nightly@run-")


def test_queue_json_has_the_documented_shape(cli: Cli) -> None:
    cli.enqueue("--id", "j1", "-q", "mail", "--command", "true")
    check_all("queue", cli.json("queue", "pause", "mail", "--reason", "smtp down"), "pause")
    check_all("queue", cli.json("queue", "pause", "--all"), "pause --all")
    check_all("queue", cli.json("queue", "list"), "queue list")
    check("queue", cli.json("queue", "show", "mail"), "queue show")
    status = cli.json("status")
    check("status", status, "status (paused)")
    assert status["paused_queues"]
    why = cli.json("why", "j1")
    check("why", why, "why (paused)")
    assert why["reason"] == "queue_paused"
    check("queue", cli.json("queue", "limit", "mail", "--concurrency", "1"), "limit")
    check_all("queue", cli.json("queue", "resume", "mail"), "resume")
    check("queue", cli.json("queue", "show", "mail"), "queue show (active)")
