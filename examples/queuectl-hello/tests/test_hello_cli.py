"""queuectl-hello as installed: found through its entry point, driven through the
real ``queuectl`` command and a real detached worker."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conftest import Run


def wait_for_lines(path: Path, count: int, timeout: float = 15.0) -> list[str]:
    """The file's lines once it has ``count`` of them (fails after ``timeout``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            lines = path.read_text().splitlines()
            if len(lines) >= count:
                return lines
        time.sleep(0.05)
    raise AssertionError(f"{path} did not get {count} lines in {timeout}s")


def test_plugins_lists_hello_with_its_distribution_and_hooks(queuectl: Run) -> None:
    plugins = json.loads(queuectl("plugins", "--json").stdout)

    [hello] = [plugin for plugin in plugins if plugin["name"] == "hello"]
    assert (hello["distribution"], hello["version"], hello["builtin"]) == (
        "queuectl-hello",
        "0.1.0",
        False,
    )
    assert hello["hooks"] == [
        "queuectl_job_dead",
        "queuectl_job_succeeded",
        "queuectl_register_commands",
        "queuectl_register_handlers",
        "queuectl_register_settings",
    ]


def test_a_detached_worker_runs_the_handler_and_the_notifier_writes(
    queuectl: Run, tmp_path: Path
) -> None:
    log = tmp_path / "hello.log"
    queuectl("config", "set", "hello_log", str(log))
    queuectl("worker", "start")

    queuectl("enqueue", "--id", "ann", "--type", "hello.greet", "--payload", '{"name": "Ann"}')
    queuectl("enqueue", "--id", "doomed", "--command", "exit 3", "--max-retries", "0")

    lines = wait_for_lines(log, 2)
    assert sorted(lines) == ["ann completed after 1 attempt(s)", "doomed dead after 1 attempt(s)"]
    job = json.loads(queuectl("show", "ann", "--json").stdout)
    assert (job["state"], job["result"]) == ("completed", {"greeting": "hello, Ann"})
    assert queuectl("logs", "ann").stdout == "hello, Ann\n"


def test_the_hello_command_enqueues_a_greeting(queuectl: Run) -> None:
    job_id = queuectl("hello", "Bob").stdout.strip()

    job = json.loads(queuectl("show", job_id, "--json").stdout)
    assert (job["type"], job["payload"], job["state"]) == (
        "hello.greet",
        {"name": "Bob"},
        "pending",
    )
    assert "Enqueue a hello.greet job" in queuectl("--help").stdout


def test_a_relative_log_path_is_refused_in_one_line(queuectl: Run) -> None:
    done = queuectl("config", "set", "hello_log", "hello.log", check=False)

    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "Error: invalid value 'hello.log' for hello_log: "
        "must be an absolute path (workers run in another directory)"
    ]
    assert queuectl("config", "get", "hello_log").stdout.strip() == ""


def test_disabling_the_plugin_hides_all_it_adds(queuectl: Run) -> None:
    disabled = {"QUEUECTL_DISABLE_PLUGINS": "hello"}

    plugins = json.loads(queuectl("plugins", "--json", env=disabled).stdout)
    assert "hello" not in {plugin["name"] for plugin in plugins}
    assert queuectl("hello", "Ann", check=False, env=disabled).returncode == 2
    greet = queuectl("enqueue", "--type", "hello.greet", check=False, env=disabled)
    assert greet.returncode == 1
    assert greet.stderr.startswith("Error: unknown type 'hello.greet';")
    setting = queuectl("config", "set", "hello_log", "/tmp/x.log", check=False, env=disabled)
    assert (setting.returncode, setting.stderr.count("\n")) == (1, 1)
    assert "hello_log" in setting.stderr
