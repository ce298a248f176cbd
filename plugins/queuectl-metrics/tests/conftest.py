"""Fixtures: the real ``queuectl`` command (``queuectl_cli``) on SQLite and on a real
Redis server."""

from __future__ import annotations

import pytest

from queuectl_core.testing.pytest_plugin import QueuectlCli


@pytest.fixture
def queuectl(backend_cli: QueuectlCli) -> QueuectlCli:
    """``backend_cli`` (from queuectl_redis's pytest plugin): on SQLite, then on Redis."""
    return backend_cli
