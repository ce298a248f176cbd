"""queuectl-hello as installed: found through its entry point, driven through the
real ``queuectl`` command and a real detached worker, with the ``queuectl_cli``
fixture of the ``queuectl`` pytest plugin (installed with queuectl)."""

from __future__ import annotations

from pathlib import Path

from queuectl_core.testing import QueuectlCli, wait_for


def lines_of(path: Path, count: int) -> list[str] | None:
    """The file's lines once it has ``count`` of them, else None."""
    lines = path.read_text().splitlines() if path.exists() else []
    return lines if len(lines) >= count else None


def test_plugins_lists_hello_with_its_distribution_and_hooks(queuectl_cli: QueuectlCli) -> None:
    plugins = queuectl_cli.json("plugins")

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
    queuectl_cli: QueuectlCli, tmp_path: Path
) -> None:
    log = tmp_path / "hello.log"
    queuectl_cli.config(hello_log=log)
    queuectl_cli.run("worker", "start")  # stopped at the test's end

    queuectl_cli.enqueue("--id", "ann", "--type", "hello.greet", "--payload", '{"name": "Ann"}')
    queuectl_cli.enqueue("--id", "doomed", "--command", "exit 3", "--max-retries", "0")

    lines = wait_for(lambda: lines_of(log, 2), what="two lines in hello.log")
    assert sorted(lines) == [
        "ann completed after 1 attempt(s)",
        "doomed dead after 1 attempt(s); 1 in the dead letter queue",
    ]
    job = queuectl_cli.job("ann")
    assert (job["state"], job["result"]) == ("completed", {"greeting": "hello, Ann"})
    assert queuectl_cli.run("logs", "ann").stdout == "hello, Ann\n"


def test_the_hello_command_enqueues_a_greeting(queuectl_cli: QueuectlCli) -> None:
    job_id = queuectl_cli.run("hello", "Bob").stdout.strip()

    job = queuectl_cli.job(job_id)
    assert (job["type"], job["payload"], job["state"]) == (
        "hello.greet",
        {"name": "Bob"},
        "pending",
    )
    assert "Enqueue a hello.greet job" in queuectl_cli.run("--help").stdout


def test_a_relative_log_path_is_refused_in_one_line(queuectl_cli: QueuectlCli) -> None:
    queuectl_cli.run("init")  # a refused value creates no queue; config get needs one
    done = queuectl_cli.run("config", "set", "hello_log", "hello.log", check=False)

    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "Error: invalid value 'hello.log' for hello_log: "
        "must be an absolute path (workers run in another directory)"
    ]
    assert queuectl_cli.run("config", "get", "hello_log").stdout.strip() == ""


def test_disabling_the_plugin_hides_all_it_adds(queuectl_cli: QueuectlCli) -> None:
    queuectl_cli.env["QUEUECTL_DISABLE_PLUGINS"] = "hello"  # for every command from here on

    plugins = queuectl_cli.json("plugins")
    assert "hello" not in {plugin["name"] for plugin in plugins}
    assert queuectl_cli.run("hello", "Ann", check=False).returncode == 2
    greet = queuectl_cli.run("enqueue", "--type", "hello.greet", check=False)
    assert greet.returncode == 1
    assert greet.stderr.startswith("Error: unknown type 'hello.greet';")
    setting = queuectl_cli.run("config", "set", "hello_log", "/tmp/x.log", check=False)
    assert (setting.returncode, setting.stderr.count("\n")) == (1, 1)
    assert "hello_log" in setting.stderr
