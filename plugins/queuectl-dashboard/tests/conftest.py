"""Fixtures: a real dashboard on a free loopback port over a real SQLite file, and
jobs enqueued through ``Queue`` and run by a real burst ``Worker``."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from dashboard_support import Client, run_burst
from queuectl_dashboard.api import Api
from queuectl_dashboard.hosts import HostCheck
from queuectl_dashboard.page import load_page
from queuectl_dashboard.server import DashboardServer, open_server

from queuectl_core.job import State
from queuectl_core.queue import Queue


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The SQLite file; no QUEUECTL_* variable or user config leaks in."""
    for name in list(os.environ):
        if name.startswith("QUEUECTL_"):
            monkeypatch.delenv(name)
    for name in ("CONFIG", "DATA", "STATE"):
        monkeypatch.setenv(f"XDG_{name}_HOME", str(tmp_path / name.lower()))
    return tmp_path / "queue.db"


@pytest.fixture
def queue(db: Path) -> Iterator[Queue]:
    with Queue.open(db=str(db)) as opened:
        yield opened


@pytest.fixture
def server(queue: Queue) -> Iterator[DashboardServer]:
    """The dashboard serving in a thread, on a port the system picked."""
    dashboard = open_server("127.0.0.1", 0, Api(queue), load_page(2), HostCheck(["127.0.0.1"]))
    thread = threading.Thread(target=dashboard.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield dashboard
    dashboard.shutdown()
    dashboard.server_close()
    thread.join()


@pytest.fixture
def client(server: DashboardServer) -> Client:
    return Client(server.url)


@pytest.fixture
def jobs(queue: Queue) -> dict[str, State]:
    """Jobs in every state a worker and a person produce; id -> state."""
    queue.enqueue(id="hello", command="echo hello; echo warn >&2")
    queue.enqueue(id="broken", command="echo oops >&2; exit 3", max_retries=0)
    queue.enqueue(id="mail-1", command="echo sent", queue="mail")
    queue.enqueue(id="mail-bounce", command="exit 1", queue="mail", max_retries=0)
    queue.enqueue(id="bytes", command="printf 'caf\\303\\251 \\377 end'", queue="mail")
    run_burst(queue)
    queue.enqueue(id="later", command="echo later", delay="1h")
    queue.enqueue(id="dropped", command="echo never", delay="1h")
    queue.cancel("dropped")
    states = {
        "hello": State.COMPLETED,
        "broken": State.DEAD,
        "mail-1": State.COMPLETED,
        "mail-bounce": State.DEAD,
        "bytes": State.COMPLETED,
        "later": State.PENDING,
        "dropped": State.CANCELLED,
    }
    assert {job_id: queue.get(job_id).state for job_id in states} == states
    return states
