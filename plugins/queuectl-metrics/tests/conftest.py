"""Fixtures: the real ``queuectl`` command on SQLite and on a real Redis server."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from metrics_support import Runner

BACKENDS = ("sqlite", "redis")


def backend_env(backend: str, root: Path, request: pytest.FixtureRequest) -> dict[str, str]:
    """The ``QUEUECTL_*`` variables that point queuectl at a fresh namespace of ``backend``."""
    if backend == "redis":
        options: dict[str, str] = request.getfixturevalue("redis_options")
        return {
            "QUEUECTL_BACKEND": "redis",
            "QUEUECTL_REDIS_URL": options["url"],
            "QUEUECTL_REDIS_PREFIX": options["prefix"],
        }
    return {"QUEUECTL_DB": str(root / "queue.db")}


@pytest.fixture(params=BACKENDS)
def queuectl(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Runner]:
    """``queuectl`` on each backend; its workers are stopped (then killed) at teardown,
    before the Redis namespace is deleted."""
    runner = Runner(tmp_path, backend_env(request.param, tmp_path, request))
    yield runner
    stop_workers(runner)


@pytest.fixture
def sqlite_queuectl(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Runner]:
    """``queuectl`` on SQLite only; its workers are stopped at teardown."""
    runner = Runner(tmp_path, backend_env("sqlite", tmp_path, request))
    yield runner
    stop_workers(runner)


def stop_workers(runner: Runner) -> None:
    if runner("worker", "stop", "--force", "--timeout", "5", check=False).returncode == 0:
        return
    try:
        pids = [worker["pid"] for worker in runner.json("worker", "list")]
    except (AssertionError, ValueError, KeyError, subprocess.TimeoutExpired):
        pids = []
    for pid in pids:  # only when the stop failed: ours, still registered
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
