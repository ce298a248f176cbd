"""``QUEUECTL_TRACE_PLUGINS=1`` logs every hook call, its plugin and its duration.

Through the real command: the CLI traces to its stderr, a detached worker to its log.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli, install_plugin

pytestmark = pytest.mark.e2e

PLUGIN = """
from queuectl_core.hookspecs import hookimpl


@hookimpl
def queuectl_job_enqueued(job):
    pass


@hookimpl
def queuectl_job_succeeded(job):
    raise RuntimeError("traced anyway")
"""


def traced(text: str, hook: str, plugin: str) -> list[str]:
    """The trace lines of ``text`` for one call of ``hook`` in ``plugin``."""
    pattern = rf"trace {hook} plugin={re.escape(plugin)} \d+\.\d{{3}} ms"
    return [line for line in text.splitlines() if re.search(pattern, line)]


def test_trace_names_each_hook_call_its_plugin_and_duration(cli: Cli, tmp_path: Path) -> None:
    install_plugin(tmp_path / "site", "traced", PLUGIN)
    cli.env["PYTHONPATH"] = str(tmp_path / "site")

    quiet = cli.run("enqueue", '{"id": "quiet", "command": "true"}')
    assert " trace " not in quiet.stderr  # off unless asked for

    cli.env["QUEUECTL_TRACE_PLUGINS"] = "1"
    enqueued = cli.run("enqueue", '{"id": "loud", "command": "true"}')
    assert enqueued.stdout.strip() == "loud"
    assert len(traced(enqueued.stderr, "queuectl_job_enqueued", "traced")) == 1
    assert traced(enqueued.stderr, "queuectl_register_settings", "queuectl_core.builtins.settings")

    log_file = tmp_path / "worker.log"
    cli.run("worker", "start", "--count", "1", "--log-file", str(log_file))
    cli.wait_state("loud", "completed")
    cli.run("worker", "stop", "--timeout", "20")
    logged = log_file.read_text()
    calls = traced(logged, "queuectl_job_succeeded", "traced")
    assert len(calls) == 2 and all(line.endswith("(raised)") for line in calls)  # both jobs
    assert "plugin traced failed in queuectl_job_succeeded: RuntimeError" in logged
