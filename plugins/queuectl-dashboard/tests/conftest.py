"""Fixtures: a real dashboard on a free loopback port over the real SQLite file of the
``queuectl_cli`` fixture, and jobs enqueued through ``Queue`` and run by a real burst
``Worker``."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from dashboard_support import Client, run_burst
from queuectl_dashboard.api import Api
from queuectl_dashboard.hosts import HostCheck
from queuectl_dashboard.page import load_page
from queuectl_dashboard.server import DashboardServer, open_server

from queuectl_core.job import State
from queuectl_core.queue import Queue
from queuectl_core.testing.pytest_plugin import QueuectlCli


@pytest.fixture
def queue(queuectl_cli: QueuectlCli) -> Iterator[Queue]:
    """The queue of ``queuectl_cli``'s SQLite file, opened in this process."""
    with queuectl_cli.queue() as opened:
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
