"""Every registration hook, proved through an installed plugin and the real command.

The plugin is a real distribution on ``PYTHONPATH`` (see ``install_plugin``): the CLI
and the detached workers find it through its entry point, as they find any plugin.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import Cli, install_plugin

pytestmark = pytest.mark.e2e

SAMPLE = '''
"""A third-party plugin that uses every registration hook."""
import time

import click

from queuectl_core.job import AttemptResult, Outcome
from queuectl_core.pluginkit.live_settings import LiveSettings
from queuectl_core.plugins import hookimpl
from queuectl_core.settings import Setting
from queuectl_core.storage import BackendSpec


class ReverseExecutor:
    """Jobs of type ``reverse`` print their command backwards."""

    def run(self, context):
        text = context.job.command[::-1] + "\\n"
        return AttemptResult(Outcome.SUCCEEDED, time.time(), 0, stdout=text.encode())


def _greeting(text):
    if not text.strip():
        raise ValueError("must not be empty")
    return text.strip()


def _open_sampledb(options):
    from queuectl_sqlite.storage import SqliteStorage

    return SqliteStorage.from_options({"path": options["file"]})


@hookimpl
def queuectl_register_storage(register):
    register(BackendSpec("sampledb", _open_sampledb, "file", "SQLite, under another name"))


@hookimpl
def queuectl_register_executors(register):
    register("reverse", ReverseExecutor())


@hookimpl
def queuectl_register_handlers(register):
    register("sample.add", lambda a, b: a + b)


@hookimpl
def queuectl_register_settings(register):
    register(Setting("sample_greeting", "hello", _greeting, "What `queuectl greet` says."))


@hookimpl
def queuectl_register_commands(cli):
    @cli.command()
    @click.argument("name")
    def greet(name):
        """Greet NAME with the stored greeting."""
        click.echo(f"{LiveSettings().get()['sample_greeting']}, {name}")
'''

REGISTRATION_HOOKS = [
    "queuectl_register_storage",
    "queuectl_register_executors",
    "queuectl_register_handlers",
    "queuectl_register_settings",
    "queuectl_register_commands",
]


@pytest.fixture
def sample(queuectl_cli: Cli, tmp_path: Path) -> Cli:
    """The real command on a ``sampledb`` backend, with the sample plugin installed."""
    install_plugin(tmp_path / "site", "sample", SAMPLE)
    queuectl_cli.env["PYTHONPATH"] = str(tmp_path / "site")
    queuectl_cli.use_backend(
        {"QUEUECTL_BACKEND": "sampledb", "QUEUECTL_DB": str(tmp_path / "sample.db")}
    )
    return queuectl_cli


@pytest.mark.covers_hook(*REGISTRATION_HOOKS)
def test_a_plugin_adds_a_backend_an_executor_a_handler_a_setting_and_a_command(
    sample: Cli, tmp_path: Path
) -> None:
    listed = {plugin["name"]: plugin for plugin in sample.json("plugins")}
    assert listed["sample"]["distribution"] == "queuectl-sample"
    assert sorted(listed["sample"]["hooks"]) == sorted(REGISTRATION_HOOKS)

    assert sample.run("greet", "Ada").stdout == "hello, Ada\n"
    sample.config(sample_greeting="ahoy")
    assert sample.run("greet", "Ada").stdout == "ahoy, Ada\n"
    refused = sample.run("config", "set", "sample_greeting", " ", check=False)
    assert refused.returncode == 1
    assert refused.stderr.strip().endswith("must not be empty")

    sample.enqueue('{"id": "backwards", "type": "reverse", "command": "olleh"}')
    sample.enqueue('{"id": "sum", "type": "sample.add", "payload": {"a": 2, "b": 40}}')
    sample.run("worker", "start", "--count", "1", "--log-file", str(tmp_path / "w.log"))
    sample.wait_state("backwards", "completed")
    assert sample.run("logs", "backwards").stdout == "hello\n"
    assert sample.wait_state("sum", "completed")["result"] == 42
    status = sample.json("status")
    assert str(tmp_path / "sample.db") in str(status)  # the sampledb backend holds the data
    assert (tmp_path / "sample.db").exists()


def test_an_unknown_job_type_names_the_plugin_executors(sample: Cli) -> None:
    refused = sample.run("enqueue", '{"type": "reverse2", "command": "x"}', check=False)
    assert refused.returncode != 0
    assert "reverse" in refused.stderr and "Traceback" not in refused.stderr
