"""The installed ``queuectl dashboard`` command: serving, stopping, and a port in use."""

from __future__ import annotations

import re
import signal
import socket
import time
import urllib.error
from typing import Any

import pytest
from dashboard_support import Client

from queuectl_core.queue import Queue
from queuectl_core.testing.pytest_plugin import QueuectlCli


def answer(client: Client, timeout: float = 10.0) -> Any:
    """Poll until the dashboard answers ``/api/status``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return client.json("/api/status")
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_the_command_serves_until_stopped(
    queuectl_cli: QueuectlCli, queue: Queue, stop: signal.Signals
) -> None:
    queue.enqueue(id="waiting", command="true", queue="mail")
    process = queuectl_cli.popen("dashboard", "--port", "0", "--refresh", "5")
    try:
        assert process.stdout is not None and process.stderr is not None
        line = process.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:\d+/", line)
        assert found, (line, process.stderr.read() if process.poll() is not None else "")
        client = Client(found.group(0))
        status = answer(client)
        assert (status["location"], status["queues"]["mail"]["pending"]) == (
            str(queuectl_cli.db),
            1,
        )
        assert client.json("/api/jobs/waiting")["state"] == "pending"
        assert '<meta name="queuectl-refresh" content="5">' in client.get("/").text
        process.send_signal(stop)
        assert process.wait(timeout=10) == 0
        errors = process.stderr.read()
        assert "Traceback" not in errors and "Error" not in errors, errors
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_a_port_in_use_is_a_one_line_error(queuectl_cli: QueuectlCli) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = queuectl_cli.run("dashboard", "--port", str(port), check=False)
    assert result.returncode == 1
    assert result.stderr == f"Error: cannot listen on 127.0.0.1:{port}: address already in use\n"
    assert result.stdout == ""


def test_the_plugin_is_installed_and_documents_its_command(queuectl_cli: QueuectlCli) -> None:
    listed = queuectl_cli.json("plugins")
    plugin = next(info for info in listed if info["name"] == "dashboard")
    assert plugin["distribution"] == "queuectl-dashboard"
    assert plugin["hooks"] == ["queuectl_register_commands"]
    assert re.search(r"^\s+dashboard\s", queuectl_cli.run("--help").stdout, re.M)
    usage = queuectl_cli.run("dashboard", "--help").stdout
    for option in ("--host", "--port", "--refresh", "--allow-host", "no authentication"):
        assert option in usage
