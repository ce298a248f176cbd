"""What a job's environment holds: the documented ``QUEUECTL_*`` variables, and never
the backend's location or password (docs/configuration.md, "What a job sees").

Every test runs on SQLite and on a real redis-server that requires a password, with
the location given the two ways users give it: a 0600 config file named by
``QUEUECTL_CONFIG`` (as docs/backends.md advises) and exported ``QUEUECTL_*``
variables. The password must appear nowhere: not in a job's output, ``show --json``,
``logs``, nor the workers' log.
"""

from __future__ import annotations

import os
import re
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from queuectl_redis.testing.fixtures import REDIS_PASSWORD

from queuectl_core.config import Location
from queuectl_core.testing.cli import QueuectlCli
from tests.e2e.conftest import Cli, wait_for

pytestmark = pytest.mark.e2e

DOCS = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
#: A variable the user exported: jobs keep seeing ordinary variables.
OWN_VARIABLE = ("MY_APP_SETTING", "kept")


def documented_job_variables() -> set[str]:
    """The ``QUEUECTL_*`` names in the table of "What a job sees"."""
    text = DOCS.read_text()
    section = text[text.index("## What a job sees") :]
    table = section[: section.index("\n\n", section.index("| variable |"))]
    return set(re.findall(r"`(QUEUECTL_[A-Z_]+)`", table))


@pytest.fixture(params=["sqlite", "redis-config-file", "redis-exported"])
def secret_cli(request: pytest.FixtureRequest, queuectl_cli: QueuectlCli) -> Iterator[Cli]:
    """The command on SQLite, or on a password-protected Redis named by a 0600 config
    file or by exported variables."""
    cli = queuectl_cli
    if request.param != "sqlite":
        options: dict[str, str] = request.getfixturevalue("redis_password_options")
        assert REDIS_PASSWORD in options["url"]
        if request.param == "redis-exported":
            cli.use_backend(Location("redis", options).environ())
        else:
            config = cli.root / "queuectl.toml"
            config.write_text(
                f'backend = "redis"\n[redis]\nurl = "{options["url"]}"\n'
                f'prefix = "{options["prefix"]}"\n'
            )
            config.chmod(0o600)
            cli.use_backend({"QUEUECTL_CONFIG": str(config)})
    cli.env[OWN_VARIABLE[0]] = OWN_VARIABLE[1]
    cli.config(poll_interval="0.1", heartbeat_interval="0.5")
    yield cli
    cli.stop_workers()


def job_environment(cli: Cli, job_id: str) -> dict[str, str]:
    """The environment the job printed with ``env -0``."""
    job = cli.wait_state(job_id, "completed")
    assert job["history"][-1]["outcome"] == "succeeded"
    output = cli.run("logs", job_id).stdout
    return dict(entry.split("=", 1) for entry in output.split("\0") if "=" in entry)


def assert_clean(env: dict[str, str], job_id: str, attempt: int = 1) -> None:
    """Only the documented ``QUEUECTL_*`` variables, with the job's values."""
    ours = {name for name in env if name.startswith("QUEUECTL_")}
    assert ours <= documented_job_variables(), ours - documented_job_variables()
    assert env["QUEUECTL_JOB_ID"] == job_id
    assert env["QUEUECTL_ATTEMPT"] == str(attempt)
    assert env["QUEUECTL_QUEUE"] == "default"
    assert env["QUEUECTL_WORKER_ID"]
    assert env[OWN_VARIABLE[0]] == OWN_VARIABLE[1]
    assert not any(REDIS_PASSWORD in value for value in env.values())


def assert_no_password_anywhere(cli: Cli, *job_ids: str) -> None:
    """The password is in no command output about the jobs and in no file queuectl wrote."""
    for job_id in job_ids:
        for args in (("show", job_id, "--json"), ("show", job_id), ("logs", job_id)):
            assert REDIS_PASSWORD not in cli.run(*args).stdout
    assert REDIS_PASSWORD not in cli.run("worker", "list", "--json").stdout
    assert REDIS_PASSWORD not in cli.run("status", "--json").stdout
    for root in (cli.root / "state", cli.root / "data"):
        for path in root.rglob("*") if root.exists() else ():
            if path.is_file():
                assert REDIS_PASSWORD.encode() not in path.read_bytes(), path


def test_worker_start_gives_jobs_only_the_documented_variables(secret_cli: Cli) -> None:
    cli = secret_cli
    cli.enqueue("--id", "env1", "--command", "env -0", "--payload", '{"n": 1}')
    cli.run("worker", "start", "--count", "2")
    env = job_environment(cli, "env1")
    assert_clean(env, "env1")
    assert env["QUEUECTL_PAYLOAD"] == '{"n": 1}'
    assert (cli.root / "state" / "queuectl" / "workers.log").exists()
    assert_no_password_anywhere(cli, "env1")


def test_worker_processes_hold_no_location_in_their_environment(secret_cli: Cli) -> None:
    """Neither the supervisor nor a worker carries the location: ``/proc/PID/environ``
    (what a job could read of its parent) names no backend."""
    cli = secret_cli
    cli.run("worker", "start", "--count", "1")
    [worker] = cli.workers()
    for pid in (worker["pid"], worker["extra"]["supervisor_pid"]):
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        names = {entry.partition(b"=")[0].decode() for entry in environ if entry}
        assert not {n for n in names if n.startswith("QUEUECTL_")}, names
        assert REDIS_PASSWORD.encode() not in b"\0".join(environ)
        assert REDIS_PASSWORD.encode() not in Path(f"/proc/{pid}/cmdline").read_bytes()


def test_worker_run_with_exported_variables_gives_jobs_none(secret_cli: Cli) -> None:
    cli = secret_cli
    cli.enqueue("--id", "env2", "--command", "env -0")
    cli.run("worker", "run", "--burst")  # the worker runs in the command's own process
    assert_clean(job_environment(cli, "env2"), "env2")
    cli.enqueue("--id", "env3", "--command", "env -0")
    cli.run("worker", "run", "--burst", "--count", "2")  # supervised children
    assert_clean(job_environment(cli, "env3"), "env3")
    assert_no_password_anywhere(cli, "env2", "env3")


def test_a_restarted_worker_gets_the_location_and_gives_jobs_none(secret_cli: Cli) -> None:
    cli = secret_cli
    cli.run("worker", "start", "--count", "1")
    [first] = cli.workers()
    os.kill(first["pid"], signal.SIGKILL)

    def restarted() -> list[dict[str, object]]:
        return [w for w in cli.workers() if w["pid"] != first["pid"]]

    wait_for(restarted, 15, "the supervisor to restart the killed worker")
    cli.enqueue("--id", "env4", "--command", "env -0")
    env = job_environment(cli, "env4")
    assert_clean(env, "env4")
    assert env["QUEUECTL_WORKER_ID"] == first["id"]  # the same slot, a new process
    assert_no_password_anywhere(cli, "env4")


def test_a_python_handler_reaches_the_queue_without_the_variables(
    secret_cli: Cli, tmp_path: Path
) -> None:
    """In-process handlers find no location in ``os.environ``, yet ``Queue.open()`` is
    the worker's own queue (the location the worker adopted)."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "envcheck.py").write_text(
        "import os\n"
        "from queuectl_core.queue import Queue\n"
        "def run():\n"
        "    with Queue.open() as queue:\n"
        "        queue.enqueue({'id': 'child', 'command': 'true'})\n"
        "    return sorted(k for k in os.environ if k.startswith('QUEUECTL_'))\n"
    )
    cli = secret_cli
    cli.env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), cli.env.get("PYTHONPATH")]))
    cli.enqueue("--id", "py", "--type", "python", "--command", "envcheck:run")
    cli.run("worker", "run", "--burst")
    job = cli.wait_state("py", "completed")
    assert job["result"] == []
    assert cli.wait_state("child", "completed")["attempts"] == 1
    assert_no_password_anywhere(cli, "py", "child")
