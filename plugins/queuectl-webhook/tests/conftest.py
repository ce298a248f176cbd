"""Fixtures: a real HTTP receiver on loopback, and the real ``queuectl`` command over a
SQLite file (``queuectl_cli``, whose workers are stopped at teardown) that reaches it
without a proxy."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from webhook_support import Receiver

from queuectl_core.testing.pytest_plugin import QueuectlCli

PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def cli(queuectl_cli: QueuectlCli) -> QueuectlCli:
    """``queuectl_cli``, whose commands and workers reach loopback without a proxy."""
    for name in list(queuectl_cli.env):
        if name.lower() in PROXY_VARIABLES:
            del queuectl_cli.env[name]
    return queuectl_cli
