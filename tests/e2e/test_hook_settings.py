"""Lifecycle hooks that ask for ``settings`` get the values in force, on every backend.

In the CLI process (enqueue, cancel: read only because a plugin asks) and in the
worker (the settings it runs the job with, so a ``config set`` reaches the next job).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import Cli, install_plugin

pytestmark = pytest.mark.e2e

PLUGIN = """
import os

from queuectl_core.hookspecs import hookimpl


def _record(hook, job, settings):
    with open(os.environ["SEEN_LOG"], "a") as log:
        log.write(f"{hook} {job.id} {settings['backoff_base']:g}\\n")


@hookimpl
def queuectl_job_enqueued(job, settings):
    _record("enqueued", job, settings)


@hookimpl
def queuectl_job_cancelled(settings, job):  # any order: pluggy passes arguments by name
    _record("cancelled", job, settings)


@hookimpl
def queuectl_job_succeeded(job, settings):
    _record("succeeded", job, settings)
"""


def test_hooks_receive_the_settings_in_force(cli: Cli, tmp_path: Path) -> None:
    install_plugin(tmp_path / "site", "seen", PLUGIN)
    cli.env["PYTHONPATH"] = str(tmp_path / "site")
    cli.env["SEEN_LOG"] = str(tmp_path / "seen.log")
    cli.config(backoff_base=3)
    cli.enqueue('{"id": "first", "command": "true"}')
    cli.enqueue('{"id": "later", "command": "true", "delay": "1h"}')
    cli.run("cancel", "later")
    cli.run("worker", "start", "--count", "1")
    cli.wait_state("first", "completed")
    cli.config(backoff_base=5)  # reaches the running worker with its next job
    cli.enqueue('{"id": "second", "command": "true"}')
    cli.wait_state("second", "completed")
    cli.run("worker", "stop", "--timeout", "20")
    # sorted: the worker may finish a job before the CLI's enqueued hook has written
    assert sorted((tmp_path / "seen.log").read_text().splitlines()) == [
        "cancelled later 3",
        "enqueued first 3",
        "enqueued later 3",
        "enqueued second 5",
        "succeeded first 3",
        "succeeded second 5",
    ]
