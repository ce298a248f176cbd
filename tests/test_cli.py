"""The ``queuectl`` command line against a real SQLite file.

Most tests drive the click group in-process with ``CliRunner``; a few run the
installed ``queuectl`` command to check exit codes and that bad input never shows
a traceback. Attempts are produced through the backend's own claim/finish path.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

from queuectl_core import plugins
from queuectl_core.cli import cli
from queuectl_core.job import AttemptResult, Outcome, State, WorkerInfo
from queuectl_core.plugins import hookimpl
from queuectl_core.queue import Queue
from queuectl_core.settings import Setting
from queuectl_core.storage import ClaimRequest, Transition
from queuectl_core.testing.cli import QueuectlCli

QUEUECTL = str(Path(sys.executable).with_name("queuectl"))


@pytest.fixture
def db(isolated_env: Path) -> Path:
    """The database file; the environment points nowhere else."""
    return isolated_env / "queue.db"


def run(db: Path, *args: str, input: str | bytes | None = None) -> Result:
    return CliRunner().invoke(cli, ["--db", str(db), *args], input=input)


def ok(db: Path, *args: str, input: str | bytes | None = None) -> str:
    result = run(db, *args, input=input)
    assert result.exit_code == 0, (result.exit_code, result.output, result.stderr)
    return result.stdout


def as_json(db: Path, *args: str, input: str | None = None) -> Any:
    return json.loads(ok(db, *args, "--json", input=input))


def fails(db: Path, *args: str, code: int = 1, input: str | None = None) -> str:
    """Run a command that must fail with ``code`` and one line on stderr; returns it."""
    result = run(db, *args, input=input)
    assert result.exit_code == code, (result.exit_code, result.output, result.stderr)
    assert result.stdout == ""
    if code == 1:
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
        assert "Traceback" not in result.stderr
    return result.stderr.strip()


def run_attempt(
    db: Path,
    job_id: str,
    outcome: Outcome = Outcome.SUCCEEDED,
    state: State = State.COMPLETED,
    stdout: bytes = b"",
    stderr: bytes = b"",
    exit_code: int | None = 0,
    error: str | None = None,
) -> None:
    """Claim ``job_id`` as worker w1 and end the attempt as the worker would."""
    with Queue.open(db=str(db)) as queue:
        now = time.time()
        claim = queue.storage.claim(ClaimRequest("w1", None, now, now + 30))
        assert claim is not None and claim.job.id == job_id
        result = AttemptResult(outcome, time.time(), exit_code, error, stdout, stderr)
        assert queue.storage.finish(job_id, claim.token, Transition(state, result, now))


# -- enqueue -----------------------------------------------------------------------


def test_enqueue_json_prints_the_id(db: Path) -> None:
    out = ok(db, "enqueue", '{"id":"job1","command":"echo hi","max_retries":3}')
    assert out == "job1\n"
    job = as_json(db, "show", "job1")
    assert (job["command"], job["max_retries"], job["state"]) == ("echo hi", 3, "pending")


def test_enqueue_flags(db: Path) -> None:
    before = time.time()
    args = ["--command", "sleep 2", "--priority", "5", "--delay", "10s", "--timeout", "30"]
    job_id = ok(db, "enqueue", *args, "--queue", "emails", "--max-retries", "0").strip()
    job = as_json(db, "show", job_id)
    assert (job["priority"], job["timeout"], job["queue"], job["max_retries"]) == (
        5,
        30.0,
        "emails",
        0,
    )
    assert job["next_run_at"] > time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(before + 9))
    assert len(job_id) == 16


def test_flags_override_json_fields(db: Path) -> None:
    spec = '{"id": "a", "command": "echo json", "queue": "q1", "delay": "1h"}'
    at = "2030-01-02T03:04:05Z"
    job = as_json(db, "enqueue", spec, "--command", "echo flag", "--run-at", at)
    assert (job["command"], job["queue"], job["next_run_at"]) == (
        "echo flag",
        "q1",
        "2030-01-02T03:04:05.000Z",
    )


def test_enqueue_handler_with_payload(db: Path) -> None:
    job = as_json(db, "enqueue", "--type", "echo", "--payload", '{"to": "x@y.z", "n": [1, 2]}')
    assert (job["type"], job["payload"]) == ("echo", {"to": "x@y.z", "n": [1, 2]})


def test_enqueue_file_skips_blank_lines(db: Path, tmp_path: Path) -> None:
    path = tmp_path / "jobs.jsonl"
    path.write_text('{"id": "f1", "command": "true"}\n\n  \n{"id": "f2", "command": "true"}\n')
    assert ok(db, "enqueue", "--file", str(path)) == "enqueued 2 jobs\n"
    jobs = as_json(db, "enqueue", "--file", "-", input='{"command": "a"}\n{"command": "b"}\n')
    assert [job["command"] for job in jobs] == ["a", "b"]
    ids = [job["id"] for job in jobs]
    listed = {job["id"] for job in as_json(db, "list")}
    assert listed == {"f1", "f2", *ids}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"command": "a"}\n\n{"command": \n', "line 3: malformed JSON"),
        ('{"command": "a"}\n[1]\n', "line 2: expected a JSON object"),
        ('{"command": "a"}\n\n{"command": "b", "colour": 1}\n', "line 3: unknown field colour"),
        ('{"id": "x", "command": "a"}\n\n{"id": "x", "command": "b"}\n', "line 3: id 'x'"),
        ('{"command": "a"}\n{"id": "taken", "command": "b"}\n', "line 2: a job with id 'taken'"),
        ('{"command": "a"}\n{"command": "b", "max_retries": -1}\n', "line 2: max_retries must"),
        ("\n \n", "no jobs"),
        (b"\xff\xfe", "not UTF-8"),
    ],
)
def test_enqueue_file_is_all_or_nothing(
    db: Path, tmp_path: Path, content: str | bytes, message: str
) -> None:
    ok(db, "enqueue", "--id", "taken", "--command", "true")
    path = tmp_path / "jobs.jsonl"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    assert message in fails(db, "enqueue", "--file", str(path))
    assert [job["id"] for job in as_json(db, "list")] == ["taken"]


# -- bad input: one line, exit 1, nothing stored -----------------------------------

BAD_INPUT = {
    "malformed JSON": (["enqueue", '{"command": "echo"'], "malformed JSON"),
    "not JSON at all": (["enqueue", "echo hi"], "--command 'echo hi'"),
    "JSON array": (["enqueue", '["echo"]'], "expected a JSON object"),
    "unknown field": (["enqueue", '{"command": "x", "colour": "red"}'], "unknown field colour"),
    "command not a string": (["enqueue", '{"command": 5}'], "command must be a string"),
    "priority not a number": (["enqueue", "-c", "x", "--priority", "highest"], "whole number"),
    "negative retries": (
        ["enqueue", '{"command": "x", "max_retries": -1}'],
        "max_retries must be between 0 and 1000000, got -1",
    ),
    "negative retries flag": (["enqueue", "-c", "x", "--max-retries", "-2"], "between 0 and"),
    "negative timeout": (
        ["enqueue", "-c", "x", "--timeout", "-5"],
        "timeout must be between 1ms and 1 year",
    ),
    "negative delay": (["enqueue", "-c", "x", "--delay", "-1s"], "delay: '-1s'"),
    "priority out of range": (["enqueue", "-c", "x", "--priority", "2147483648"], "between"),
    "max retries out of range": (["enqueue", "-c", "x", "--max-retries", "10000000"], "between"),
    "bad duration": (["enqueue", "-c", "x", "--timeout", "soon"], "not a duration"),
    "bad run_at": (["enqueue", "-c", "x", "--run-at", "tomorrow"], "ISO 8601"),
    "bad payload": (["enqueue", "--type", "echo", "--payload", "{oops"], "--payload"),
    "bad id": (["enqueue", "-c", "x", "--id", "has space"], "id must be"),
    "empty command": (["enqueue", "-c", "  "], "must not be empty"),
    "unknown type": (["enqueue", "-c", "x", "--type", "nope"], "unknown type 'nope'"),
    "duplicate id": (["enqueue", "-c", "x", "--id", "known"], "already exists"),
    "missing file": (["enqueue", "--file", "/nonexistent/jobs.jsonl"], "No such file"),
    "show unknown": (["show", "nope"], "no job with id 'nope'"),
    "logs unknown": (["logs", "nope"], "no job with id 'nope'"),
    "logs before running": (["logs", "known"], "has not run yet"),
    "cancel unknown": (["cancel", "nope"], "no job with id 'nope'"),
    "dlq retry unknown": (["dlq", "retry", "nope"], "no job with id 'nope'"),
    "dlq retry not dead": (["dlq", "retry", "known"], "known"),
    "dlq purge unknown": (["dlq", "purge", "nope"], "no job with id 'nope'"),
    "config get unknown": (["config", "get", "colour"], "unknown setting 'colour'"),
    "config set unknown": (["config", "set", "colour", "red"], "unknown setting 'colour'"),
    "config unset unknown": (["config", "unset", "colour"], "unknown setting 'colour'"),
    "config set bad value": (["config", "set", "max_retries", "many"], "whole number"),
    "config set negative": (["config", "set", "max_retries", "-1"], "between 0 and 1000000"),
    "config set heartbeat": (["config", "set", "heartbeat_interval", "1h"], "at most half"),
    "unknown backend": (["--backend", "nope", "status"], "unknown storage backend 'nope'"),
    "missing config file": (["--config", "/nonexistent.toml", "status"], "does not exist"),
}


@pytest.mark.parametrize(("args", "message"), BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_bad_input_is_one_line_and_changes_nothing(db: Path, args: list[str], message: str) -> None:
    ok(db, "enqueue", "--id", "known", "--command", "true")
    before = as_json(db, "list")
    settings = as_json(db, "config", "list")
    assert message in fails(db, *args)
    assert as_json(db, "list") == before
    assert as_json(db, "config", "list") == settings


def test_config_file_names_the_database(db: Path, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'backend = "sqlite"\n[sqlite]\npath = "{tmp_path / "other.db"}"\n')
    CliRunner().invoke(cli, ["--config", str(config), "init"])
    result = CliRunner().invoke(cli, ["--config", str(config), "status", "--json"])
    assert json.loads(result.stdout)["location"] == str(tmp_path / "other.db")
    config.write_text("backend = [unclosed\n")
    assert "cannot read config file" in fails(db, "--config", str(config), "status")


def test_cancelling_twice_fails(db: Path) -> None:
    ok(db, "enqueue", "--id", "c1", "-c", "true")
    assert ok(db, "cancel", "c1") == "cancelled c1\n"
    assert "c1" in fails(db, "cancel", "c1")
    assert as_json(db, "show", "c1")["state"] == "cancelled"


@pytest.mark.parametrize(
    "args",
    [
        ["enqueue"],
        ["enqueue", "--file", "x.jsonl", "--command", "true"],
        ["dlq", "retry"],
        ["dlq", "retry", "a", "--all"],
        ["list", "--limit", "0"],
        ["list", "--state", "sleeping"],
        ["list", "--offset", "-1"],
        ["logs", "x", "--attempt", "0"],
        ["worker", "stop", "--timeout", "soon"],
        ["worker", "start", "--count", "0"],
        ["no-such-command"],
    ],
)
def test_usage_errors_exit_2(db: Path, args: list[str]) -> None:
    fails(db, *args, code=2)


# -- looking at jobs ---------------------------------------------------------------


def test_list_filters_and_pages(db: Path) -> None:
    for number in range(5):
        ok(
            db,
            "enqueue",
            "--id",
            f"j{number}",
            "-c",
            "true",
            "--queue",
            "odd" if number % 2 else "even",
        )
    ok(db, "cancel", "j0")
    assert {job["id"] for job in as_json(db, "list", "--queue", "odd")} == {"j1", "j3"}
    assert [job["id"] for job in as_json(db, "list", "--state", "cancelled")] == ["j0"]
    both = as_json(db, "list", "--state", "pending,cancelled", "--queue", "even")
    assert {job["id"] for job in both} == {"j0", "j2", "j4"}
    first, second = as_json(db, "list", "--limit", "2"), as_json(db, "list", "--offset", "2")
    assert len(first) == 2 and len(second) == 3
    assert not {job["id"] for job in first} & {job["id"] for job in second}
    table = ok(db, "list").splitlines()
    assert table[0].split() == [
        "ID",
        "STATE",
        "QUEUE",
        "PRIORITY",
        "ATTEMPTS",
        "UPDATED",
        "NEXT",
        "RUN",
        "COMMAND",
    ]
    assert len(table) == 6
    assert ok(db, "list", "--queue", "none") == "no jobs\n"


def test_show_lists_fields_and_attempts(db: Path) -> None:
    ok(db, "enqueue", "--id", "s1", "-c", "exit 3", "--payload", '{"k": 1}')
    run_attempt(db, "s1", Outcome.FAILED, State.FAILED, exit_code=3, error="exit status 3")
    text = ok(db, "show", "s1")
    assert "max_retries: 3 (default)" in text
    assert "timeout:     none (default)" in text
    assert "last error:  exit status 3" in text
    assert 'payload:     {"k":1}' in text
    header, row = text.split("\n\n")[1].splitlines()
    assert header.split() == [
        "#",
        "WORKER",
        "STARTED",
        "ENDED",
        "DURATION",
        "EXIT",
        "OUTCOME",
        "ERROR",
    ]
    cells = row.split()
    assert cells[:2] == ["1", "w1"] and cells[-5:] == ["3", "failed", "exit", "status", "3"]
    history = as_json(db, "show", "s1")["history"]
    assert [(a["number"], a["outcome"], a["exit_code"]) for a in history] == [(1, "failed", 3)]


def test_logs_print_raw_bytes(db: Path) -> None:
    ok(db, "enqueue", "--id", "l1", "-c", "true")
    run_attempt(db, "l1", Outcome.FAILED, State.FAILED, stdout=b"first\n", exit_code=1)
    run_attempt(db, "l1", stdout=b"caf\xc3\xa9 \xff\n", stderr=b"warn\n")
    result = run(db, "logs", "l1")
    assert (result.exit_code, result.stdout_bytes) == (0, b"caf\xc3\xa9 \xff\n")
    assert run(db, "logs", "l1", "--stderr").stdout_bytes == b"warn\n"
    assert run(db, "logs", "l1", "--attempt", "1").stdout_bytes == b"first\n"
    assert "no attempt 7; attempts: 1, 2" in fails(db, "logs", "l1", "--attempt", "7")
    view = as_json(db, "logs", "l1")
    assert view["stdout"] == "caf\u00e9 \ufffd\n"
    assert view["stdout_base64"] == "Y2Fmw6kg/wo="
    assert view["stderr"] == "warn\n" and "stderr_base64" not in view


def test_cancel_prints_the_job(db: Path) -> None:
    ok(db, "enqueue", "--id", "c2", "-c", "true")
    assert as_json(db, "cancel", "c2")["state"] == "cancelled"


def test_status_counts_every_state(db: Path) -> None:
    ok(db, "init")
    status = as_json(db, "status")
    assert status["states"] == dict.fromkeys(
        ["pending", "processing", "completed", "failed", "dead", "cancelled", "waiting"], 0
    )
    assert status["location"] == str(db)
    ok(db, "enqueue", "--id", "a", "-c", "true", "--queue", "mail")
    ok(db, "enqueue", "--id", "b", "-c", "true")
    ok(db, "cancel", "b")
    status = as_json(db, "status")
    assert (status["total"], status["states"]["pending"], status["states"]["cancelled"]) == (
        2,
        1,
        1,
    )
    assert status["queues"]["mail"]["pending"] == 1 and status["queues"]["default"]["dead"] == 0
    assert status["success_rate"] is None  # nothing finished yet
    text = ok(db, "status")
    assert f"backend: sqlite ({db})" in text
    rows = [line.split() for line in text.splitlines() if line.startswith(("QUEUE", "(all)"))]
    assert rows == [
        [
            "QUEUE",
            "PENDING",
            "PROCESSING",
            "COMPLETED",
            "FAILED",
            "DEAD",
            "CANCELLED",
            "WAITING",
            "TOTAL",
        ],
        ["(all)", "1", "0", "0", "0", "0", "1", "0", "2"],
    ]


# -- dead letter queue -------------------------------------------------------------


def make_dead(db: Path, *job_ids: str) -> None:
    for job_id in job_ids:
        ok(db, "enqueue", "--id", job_id, "-c", "false", "--max-retries", "0")
        run_attempt(db, job_id, Outcome.FAILED, State.DEAD, exit_code=1, error="exit status 1")


def test_dlq_list_retry_and_purge(db: Path) -> None:
    make_dead(db, "d1", "d2", "d3", "d4")
    assert {job["id"] for job in as_json(db, "dlq", "list")} == {"d1", "d2", "d3", "d4"}
    assert ok(db, "dlq", "retry", "d1") == "retried 1 job\n"
    assert as_json(db, "show", "d1")["state"] == "pending"
    assert ok(db, "dlq", "purge", "d2") == "purged 1 job\n"
    assert "no job with id 'd2'" in fails(db, "show", "d2")
    ok(db, "cancel", "d1")
    assert as_json(db, "dlq", "purge", "--yes") == {"purged": 2}
    make_dead(db, "d5", "d6")
    assert sorted(as_json(db, "dlq", "retry", "--all")) == ["d5", "d6"]
    assert ok(db, "dlq", "list") == "no dead jobs\n"
    assert ok(db, "dlq", "purge") == "purged 0 jobs\n"


# -- settings, workers, plugins ----------------------------------------------------


def test_config_commands(db: Path) -> None:
    ok(db, "init")
    assert ok(db, "config", "get", "max_retries") == "3\n"
    assert ok(db, "config", "set", "backoff_max", "5m") == "300\n"
    assert ok(db, "config", "get", "backoff_max") == "300\n"
    listed = {item["name"]: item for item in as_json(db, "config", "list")}
    assert (listed["backoff_max"]["value"], listed["backoff_max"]["source"]) == (300.0, "set")
    assert listed["max_retries"]["source"] == "default" and listed["max_retries"]["help"]
    table = ok(db, "config", "list")
    assert any(
        line.split()[:4] == ["backoff_max", "300", "s", "set"] for line in table.splitlines()
    )
    assert ok(db, "config", "unset", "backoff_max") == "3600\n"
    assert as_json(db, "config", "get", "backoff_max")["source"] == "default"
    assert as_json(db, "config", "get") == as_json(db, "config", "list")  # no key: all


class SecretSettingPlugin:
    @hookimpl
    def queuectl_register_settings(self, register: Any) -> None:
        register(Setting("signing_key", "", str, "A key that must not be shown.", secret=True))


@pytest.fixture
def secret_setting() -> Iterator[None]:
    manager = plugins.get_plugin_manager()
    name = manager.register(SecretSettingPlugin())
    plugins.settings.cache_clear()
    yield
    manager.unregister(name=name)
    plugins.settings.cache_clear()


@pytest.mark.usefixtures("secret_setting")
def test_a_secret_setting_is_masked_unless_revealed(db: Path) -> None:
    ok(db, "init")
    assert ok(db, "config", "get", "signing_key") == "\n"  # empty: nothing to hide
    assert ok(db, "config", "set", "signing_key", "hunter2") == "********\n"
    assert ok(db, "config", "get", "signing_key") == "********\n"
    assert as_json(db, "config", "get", "signing_key")["value"] == "********"
    assert "hunter2" not in ok(db, "config", "list") + ok(db, "config", "list", "--json")
    assert ok(db, "config", "get", "signing_key", "--reveal") == "hunter2\n"
    assert as_json(db, "config", "get", "signing_key", "--reveal")["value"] == "hunter2"


def test_worker_list_shows_the_current_job(db: Path) -> None:
    ok(db, "init")
    assert ok(db, "worker", "list") == "no workers\n"
    ok(db, "enqueue", "--id", "busy", "-c", "sleep 1")
    with Queue.open(db=str(db)) as queue:
        now = time.time()
        worker = WorkerInfo("w1", "host1", 4242, ("q1", "default"), now, now)
        queue.storage.register_worker(worker)
        assert queue.storage.claim(ClaimRequest("w1", None, now, now + 30)) is not None
    [listed] = as_json(db, "worker", "list")
    assert (listed["id"], listed["pid"], listed["current_jobs"]) == ("w1", 4242, ["busy"])
    row = ok(db, "worker", "list").splitlines()[1].split()
    assert row[:4] == ["w1", "host1", "4242", "q1,default"] and row[-1] == "busy"
    assert as_json(db, "status")["live_workers"] == 1


def test_plugins_lists_builtins_and_backends(db: Path) -> None:
    infos = {info["name"]: info for info in as_json(db, "plugins")}
    assert "register_executors" in " ".join(infos["queuectl_core.builtins.executors"]["hooks"])
    assert infos["sqlite"]["version"]
    assert "sqlite" in ok(db, "plugins")


class CommandPlugin:
    """Adds commands, one of which fails in the ways the CLI must contain."""

    @hookimpl
    def queuectl_register_commands(self, cli: click.Group) -> None:
        @cli.command()
        @click.argument("kind")
        def explode(kind: str) -> None:
            """Fail on purpose."""
            if kind == "interrupt":
                raise KeyboardInterrupt
            raise ValueError("boom")

        @cli.command("say-hello")
        def say_hello() -> None:
            """Say hello."""
            click.echo("hello from a plugin")


class BrokenPlugin:
    @hookimpl
    def queuectl_register_commands(self, cli: click.Group) -> None:
        raise RuntimeError("broken plugin")


@pytest.fixture
def command_plugins(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    manager = plugins.get_plugin_manager()
    monkeypatch.setattr(cli, "commands", {})
    monkeypatch.setattr(cli, "_plugins_loaded", False)
    names = [manager.register(CommandPlugin()), manager.register(BrokenPlugin())]
    yield
    for name in names:
        manager.unregister(name=name)


@pytest.mark.usefixtures("command_plugins")
def test_plugin_commands_and_unexpected_errors(
    db: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    assert ok(db, "say-hello") == "hello from a plugin\n"
    assert "failed in queuectl_register_commands: RuntimeError: broken plugin (at " in caplog.text
    assert "say-hello" in ok(db, "--help")
    message = fails(db, "explode", "value")
    assert message == (
        "Error: internal error: ValueError: boom (set QUEUECTL_DEBUG=1 for the traceback)"
    )
    assert run(db, "explode", "interrupt").exit_code == 130
    monkeypatch.setenv("QUEUECTL_DEBUG", "1")
    assert isinstance(run(db, "explode", "value").exception, ValueError)


def test_cli_import_stays_light() -> None:
    code = (
        "import sys, queuectl_core.cli; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('pluggy', 'sqlite3', 'json', 'queuectl_sqlite') or m.startswith('queuectl_core.cli.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['queuectl_core.cli.context', 'queuectl_core.cli.group']"


# -- the installed command ---------------------------------------------------------


def queuectl(
    db: Path, *args: str, input: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("QUEUECTL_")}
    env["QUEUECTL_DB"] = str(db)
    return subprocess.run(
        [QUEUECTL, *args], env=env, input=input, capture_output=True, timeout=60, check=False
    )


def test_command_exit_codes_and_output(db: Path) -> None:
    created = queuectl(db, "enqueue", "-c", "echo hi")
    assert created.returncode == 0 and created.stderr == b""
    job_id = created.stdout.decode().strip()
    assert created.stdout == f"{job_id}\n".encode()
    assert queuectl(db, "show", job_id).returncode == 0
    assert queuectl(db, "list", "--json").returncode == 0
    missing = queuectl(db, "show", "nope")
    assert (missing.returncode, missing.stdout, missing.stderr) == (
        1,
        b"",
        b"Error: no job with id 'nope'\n",
    )
    assert queuectl(db, "dlq", "retry").returncode == 2
    assert queuectl(db, "bogus").returncode == 2


@pytest.mark.parametrize(
    "args",
    [
        ["enqueue", "{not json"],
        ["enqueue", '{"command": "x", "retries": 1}'],
        ["enqueue", "-c", "x", "--priority", "1.5"],
        ["enqueue", "--file", "-"],
        ["--backend", "nope", "list"],
        ["config", "set", "poll_interval", "0"],
    ],
)
def test_command_never_shows_a_traceback(db: Path, args: list[str]) -> None:
    proc = queuectl(db, *args, input=b'{"command": "a"}\n{"command": 1}\n')
    assert proc.returncode == 1
    assert proc.stderr.count(b"\n") == 1 and proc.stderr.startswith(b"Error: ")
    assert b"Traceback" not in proc.stderr


def test_command_logs_keep_bytes(db: Path) -> None:
    queuectl(db, "enqueue", "--id", "raw", "-c", "true")
    run_attempt(db, "raw", stdout=b"\x00\xff\xfe binary\n")
    proc = queuectl(db, "logs", "raw")
    assert (proc.returncode, proc.stdout) == (0, b"\x00\xff\xfe binary\n")


def test_command_runs_and_stops_workers(db: Path, tmp_path: Path) -> None:
    job_id = queuectl(db, "enqueue", "-c", "printf done").stdout.decode().strip()
    burst = queuectl(db, "worker", "run", "--burst")
    assert burst.returncode == 0, burst.stderr
    assert queuectl(db, "logs", job_id).stdout == b"done"
    log_file = tmp_path / "workers.log"
    started = queuectl(db, "worker", "start", "--count", "2", "--log-file", str(log_file))
    try:
        assert started.returncode == 0, started.stderr
        assert started.stdout.decode().startswith(f"started 2 workers, logging to {log_file}")
        listed = json.loads(queuectl(db, "worker", "list", "--json").stdout)
        assert len(listed) == 2 and all(worker["host"] for worker in listed)
    finally:
        stopped = queuectl(db, "worker", "stop", "--timeout", "10", "--json")
    assert stopped.returncode == 0, stopped.stderr
    assert len(json.loads(stopped.stdout)) == 2
    assert queuectl(db, "worker", "list").stdout == b"no workers\n"


def test_version_names_the_installed_distribution(queuectl_cli: QueuectlCli) -> None:
    from importlib.metadata import version

    done = queuectl_cli.run("--version")
    assert done.stdout == f"queuectl, version {version('queuectl-core')}\n"
