"""Shared fixtures: an isolated environment, a SQLite queue in tmp_path, processes
that are cleaned up, and (from ``queuectl_core.testing``) ``wait_for`` for polling a
condition instead of sleeping."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from queuectl_core.config import Location
from queuectl_core.queue import Queue
from queuectl_core.storage import Storage
from queuectl_core.testing.cli import isolate, wait_for

__all__ = ["Processes", "unasked", "wait_for"]  # what the tests import


def unasked() -> object:
    """The ``queue`` source of events no hook should ask a queue of: fails the test if called."""
    raise AssertionError("a hook asked for the queue")


@pytest.fixture
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No QUEUECTL_* variables and XDG directories in tmp_path (no user config leaks in)."""
    isolate(monkeypatch, tmp_path)
    return tmp_path


@pytest.fixture
def location(isolated_env: Path) -> Location:
    """A SQLite database in tmp_path."""
    return Location(backend="sqlite", options={"path": str(isolated_env / "q.db")})


@pytest.fixture
def storage(location: Location) -> Iterator[Storage]:
    storage = location.open()
    yield storage
    storage.close()


@pytest.fixture
def queue(storage: Storage, location: Location) -> Queue:
    return Queue(storage, location)


class Processes:
    """Starts ``python -m MODULE`` children on the test's queue; kills leftovers at the end."""

    def __init__(self, location: Location, logs: Path) -> None:
        self.env = {**os.environ, **location.environ()}
        self.logs = logs
        self.started: list[subprocess.Popen[bytes]] = []

    def spawn(self, module: str, *args: str, log: str = "process") -> subprocess.Popen[bytes]:
        """Start ``module`` with stdout and stderr appended to :meth:`log_path` ``(log)``."""
        with open(self.log_path(log), "ab") as handle:
            process = subprocess.Popen(
                [sys.executable, "-m", module, *args],
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=handle,
                stderr=subprocess.STDOUT,
            )
        self.started.append(process)
        return process

    def log_path(self, log: str) -> Path:
        return self.logs / f"{log}.log"

    def log(self, log: str) -> str:
        path = self.log_path(log)
        return path.read_text() if path.exists() else ""

    def cleanup(self) -> None:
        """Stop what still runs: a forced stop (SIGTERM, SIGINT), then SIGKILL."""
        running = [process for process in self.started if process.poll() is None]
        for process in running:
            process.send_signal(signal.SIGTERM)
            process.send_signal(signal.SIGINT)
        for process in running:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def processes(location: Location, tmp_path: Path) -> Iterator[Processes]:
    procs = Processes(location, tmp_path)
    yield procs
    procs.cleanup()
