"""``queuectl metrics serve``: a real server process, scraped over loopback HTTP."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from metrics_support import fetch, parse, value

from queuectl_core.config import Location
from queuectl_core.testing.pytest_plugin import QueuectlCli, wait_for

if TYPE_CHECKING:
    from queuectl_redis.testing.servers import RedisServer


class Served:
    """A running ``queuectl metrics serve`` and the URL it printed."""

    def __init__(self, cli: QueuectlCli, *args: str) -> None:
        self.process = cli.popen("metrics", "serve", "--port", "0", *args)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()  # "metrics of ... at URL (Ctrl-C to stop)"
        assert " at http://" in line, line + self.stop_now()
        self.url = line.split(" at ", 1)[1].split()[0]
        self.port = self.url.rsplit(":", 1)[1].split("/")[0]

    def terminate(self) -> int:
        """SIGTERM, as a service manager stops it; returns the exit status."""
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=10)
        finally:
            self.stop_now()

    def stop_now(self) -> str:
        """Kill it if it still runs; its stderr."""
        if self.process.poll() is None:
            self.process.kill()
        _, stderr = self.process.communicate(timeout=10)
        return stderr


@pytest.fixture
def serve() -> Iterator[list[Served]]:
    """Started servers, killed at teardown if a test left one running."""
    started: list[Served] = []
    yield started
    for served in started:
        served.stop_now()


def test_each_scrape_reads_the_backend_afresh(
    queuectl_cli: QueuectlCli, serve: list[Served]
) -> None:
    queuectl_cli.run("enqueue", "--command", "true", "--queue", "mail")
    served = Served(queuectl_cli)
    serve.append(served)

    status, content_type, body = fetch(served.url)
    assert (status, content_type) == (200, "text/plain; version=0.0.4; charset=utf-8")
    first = parse(body)
    assert value(first, "queuectl_jobs_enqueued_total", queue="mail") == 1
    assert value(first, "queuectl_jobs", queue="mail", state="pending") == 1

    queuectl_cli.run("enqueue", "--command", "true", "--queue", "mail")
    second = parse(fetch(served.url)[2])
    assert value(second, "queuectl_jobs_enqueued_total", queue="mail") == 2
    assert value(second, "queuectl_jobs", queue="mail", state="pending") == 2

    root = served.url.removesuffix("/metrics")
    for path in ("/", "/metrics/", "/other"):
        status, _, body = fetch(root + path)
        assert status == 404, path
        assert body == "not found; try /metrics\n"

    assert served.terminate() == 0


def test_a_port_in_use_is_a_one_line_error(queuectl_cli: QueuectlCli, serve: list[Served]) -> None:
    served = Served(queuectl_cli)
    serve.append(served)

    done = queuectl_cli.run("metrics", "serve", "--port", served.port, check=False)

    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"Error: cannot listen on 127.0.0.1:{served.port}: address already in use"
    ]
    assert fetch(served.url)[0] == 200  # the first server is unaffected
    assert served.terminate() == 0


def test_a_backend_outage_answers_503_and_serving_goes_on(
    fresh_redis_server: RedisServer, queuectl_cli: QueuectlCli, serve: list[Served]
) -> None:
    options = {"url": fresh_redis_server.url, "prefix": "qtest-metrics"}
    queuectl_cli.use_backend(Location("redis", options).environ())
    queuectl_cli.run("enqueue", "--command", "true")
    served = Served(queuectl_cli)
    serve.append(served)
    assert fetch(served.url)[0] == 200

    fresh_redis_server.stop()

    status, _, body = fetch(served.url)
    assert status == 503
    assert len(body.splitlines()) == 1 and "Redis" in body, body
    done = queuectl_cli.run("metrics", check=False)
    assert done.returncode == 1
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr

    fresh_redis_server.restart()

    def answers() -> bool:
        return fetch(served.url)[0] == 200

    wait_for(answers, 15, "a 200 once Redis is back")
    samples = parse(fetch(served.url)[2])
    assert value(samples, "queuectl_jobs_enqueued_total", queue="default") == 1
    assert served.terminate() == 0
    assert "Traceback" not in served.stop_now()


def test_a_bad_port_is_a_usage_error(queuectl_cli: QueuectlCli) -> None:
    done = queuectl_cli.run("metrics", "serve", "--port", "70000", check=False)

    assert done.returncode == 2
    assert "70000" in done.stderr
