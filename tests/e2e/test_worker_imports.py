"""A worker process, with every plugin of the repository installed, imports no CLI module.

The CLI is for people; a worker's lifecycle hooks get what they need as arguments.
A Python handler reports the worker's own ``sys.modules``, after the hooks of its
job (``job_started``: the metrics, callback and webhook plugins) already ran.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import Cli, install_plugin

pytestmark = pytest.mark.e2e

PLUGIN = """
import sys

from queuectl_core.hookspecs import hookimpl


def cli_modules():
    return sorted(name for name in sys.modules if name.startswith("queuectl_core.cli"))


@hookimpl
def queuectl_register_handlers(register):
    register("imports.cli_modules", cli_modules)
"""


def test_a_worker_imports_no_cli_module(cli: Cli, tmp_path: Path) -> None:
    install_plugin(tmp_path / "site", "imports", PLUGIN)
    cli.env["PYTHONPATH"] = str(tmp_path / "site")
    listed = {plugin["name"] for plugin in cli.json("plugins")}
    assert {"metrics", "callback", "webhook", "hello", "imports"} <= listed
    cli.config(callback_events="started", webhook_events="started")  # their hooks do work
    cli.enqueue('{"id": "probe", "type": "imports.cli_modules"}')
    cli.run("worker", "start", "--count", "1")
    probe = cli.wait_state("probe", "completed")
    cli.run("worker", "stop", "--timeout", "20")
    assert probe["result"] == []
