"""Fixtures: the real ``queuectl`` command (``queuectl_cli``) on SQLite and on a real
Redis server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from queuectl_core.config import Location
from queuectl_core.testing.pytest_plugin import QueuectlCli

BACKENDS = ("sqlite", "redis")


@pytest.fixture(params=BACKENDS)
def queuectl(request: pytest.FixtureRequest, queuectl_cli: QueuectlCli) -> Iterator[QueuectlCli]:
    """``queuectl_cli`` on each backend; its workers are stopped at teardown, before the
    Redis namespace is deleted."""
    if request.param == "redis":
        options: dict[str, str] = request.getfixturevalue("redis_options")
        queuectl_cli.use_backend(Location("redis", options).environ())
    yield queuectl_cli
    queuectl_cli.stop_workers()
