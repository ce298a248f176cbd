"""A third-party notifier written on :class:`~queuectl_core.pluginkit.notifier.Notifier`.

The plugin is a distribution on ``PYTHONPATH`` whose entry point names an instance
(``ledger = queuectl_ledger:plugin``), as an author would publish it: the real CLI and
detached workers find it, call ``notify`` for the chosen events only, list it once
with its hooks and leave it out when it is blocked by name.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from queuectl_core import hookspecs
from queuectl_core.testing.cli import wait_for
from tests.e2e.conftest import Cli, install_plugin

pytestmark = pytest.mark.e2e

PLUGIN = """
import os

from queuectl_core.hookspecs import hookimpl
from queuectl_core.pluginkit.notifier import Notifier, events_setting


class LedgerPlugin(Notifier):
    events_setting = "ledger_events"

    @hookimpl
    def queuectl_register_settings(self, register):
        register(events_setting("ledger_events", "written to $LEDGER", "failed,dead"))

    def notify(self, event, settings):
        number = event.attempt.number if event.attempt is not None else "-"
        retry = "retry" if event.retry_at is not None else "-"
        with open(os.environ["LEDGER"], "a") as ledger:
            ledger.write(f"{event.name} {event.job.id} {number} {retry}\\n")

    def close(self):
        with open(os.environ["LEDGER"], "a") as ledger:
            ledger.write(f"closed {os.getpid()}\\n")


plugin = LedgerPlugin()
"""

JOB_HOOKS = [name for name in dir(hookspecs) if name.startswith("queuectl_job_")]


@pytest.fixture
def ledger(cli: Cli, tmp_path: Path) -> Path:
    """Install the plugin for ``cli``; returns the file it writes."""
    install_plugin(tmp_path / "site", "ledger", PLUGIN, attribute="plugin")
    cli.env["PYTHONPATH"] = str(tmp_path / "site")
    cli.env["LEDGER"] = str(tmp_path / "ledger.txt")
    return tmp_path / "ledger.txt"


def events_in(ledger: Path) -> list[str]:
    """The ledger's event lines (the ``closed`` lines left out)."""
    lines = ledger.read_text().splitlines() if ledger.exists() else []
    return [line for line in lines if not line.startswith("closed ")]


def events_seen(ledger: Path, count: int) -> list[str]:
    """The ledger's event lines once there are ``count`` of them (fails the test if not)."""
    return wait_for(
        lambda: lines if len(lines := events_in(ledger)) >= count else None,
        what=lambda: f"{count} lines in the ledger, not {events_in(ledger)}",
    )


def test_a_notifier_plugin_notifies_the_chosen_events_and_closes(cli: Cli, ledger: Path) -> None:
    cli.config(backoff_base=1)  # retry after 1 s
    cli.run("worker", "start", "--count", "1")
    [worker] = cli.json("worker", "list")
    cli.enqueue('{"id": "flaky", "command": "exit 1", "max_retries": 1}')
    cli.enqueue('{"id": "fine", "command": "true"}')
    cli.wait_state("flaky", "dead")
    assert events_seen(ledger, 2) == ["failed flaky 1 retry", "dead flaky 2 -"]

    cli.config(ledger_events="enqueued,cancelled,succeeded")  # the next events follow it
    cli.enqueue('{"id": "later", "command": "true", "delay": "1h"}')
    cli.run("cancel", "later")
    cli.enqueue('{"id": "again", "command": "true"}')
    cli.wait_state("again", "completed")
    later = events_seen(ledger, 6)[2:]
    assert later[:2] == ["enqueued later - -", "cancelled later - -"]
    # the worker may finish "again" before the enqueueing command's hook has written
    assert sorted(later[2:]) == ["enqueued again - -", "succeeded again 1 -"]

    cli.run("worker", "stop", "--timeout", "20")
    assert f"closed {worker['pid']}" in ledger.read_text().splitlines()


def test_the_plugin_is_listed_once_with_its_hooks_and_blocked_by_name(
    cli: Cli, ledger: Path
) -> None:
    listed = [plugin for plugin in cli.json("plugins") if plugin["name"] == "ledger"]
    assert len(listed) == 1
    assert listed[0]["distribution"] == "queuectl-ledger"
    own = ["queuectl_register_settings", "queuectl_worker_stopped"]
    assert listed[0]["hooks"] == sorted([*JOB_HOOKS, *own])

    cli.env["QUEUECTL_DISABLE_PLUGINS"] = "ledger"
    assert "ledger" not in {plugin["name"] for plugin in cli.json("plugins")}
    assert cli.run("config", "get", "ledger_events", check=False).returncode != 0
    cli.enqueue('{"id": "unseen", "command": "exit 1", "max_retries": 0}')
    cli.run("worker", "run", "--burst")
    assert events_in(ledger) == []
