"""Fixtures: a real HTTP receiver on loopback, and the real ``queuectl`` command over a
SQLite file (the end-to-end harness of ``tests/e2e``), whose workers are stopped at
teardown."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from webhook_support import Receiver

from tests.e2e.conftest import Cli, pid_alive

PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def cli(tmp_path: Path) -> Iterator[Cli]:
    """``queuectl`` on tmp_path/queue.db with its own HOME and XDG directories."""
    runner = Cli(tmp_path, {"QUEUECTL_DB": str(tmp_path / "queue.db")})
    for name in list(runner.env):
        if name.lower() in PROXY_VARIABLES:  # loopback must not go through a proxy
            del runner.env[name]
    yield runner
    pids = [worker["pid"] for worker in runner.workers()]
    if pids:
        runner.run("worker", "stop", "--force", "--timeout", "5", check=False)
    for pid in pids:
        if pid_alive(pid):
            os.kill(pid, signal.SIGKILL)
