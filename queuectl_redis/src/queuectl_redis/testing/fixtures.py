"""The ``queuectl_redis`` pytest plugin: real ``redis-server`` processes that the test
session starts itself on free loopback ports (never the server on port 6379), and a
fresh key namespace per test.

pytest loads this module in every run where queuectl-redis is installed, so it imports
neither redis-py nor :mod:`queuectl_redis.testing.servers` until a fixture needs them.

Without ``redis-server`` (or ``redis-cli``, for the cluster) these fixtures skip the
test, except under ``CI=true``, where they fail it: CI must run them (scripts/test.sh
installs Redis).

``backend_cli`` is queuectl's own ``queuectl_cli`` fixture, once on SQLite and once on
this session's Redis: for a plugin's end-to-end tests that should hold on both.

Namespaces: ``redis_options["prefix"]`` is ``qtest-<random hex>``. The backend may put it
inside a hash tag (``{qtest-ab12}:job:1``) or before a colon (``qtest-ab12:jobs``); at
teardown every key containing the prefix (SCAN MATCH ``*qtest-ab12*``) is UNLINKed, and
nothing else: no FLUSHDB, ever.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from queuectl_redis.testing.binaries import CLI_BINARY, SERVER_BINARY, missing_binaries

if TYPE_CHECKING:
    from queuectl_core.testing.cli import QueuectlCli
    from queuectl_redis.testing.servers import RedisCluster, RedisServer


def running_in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def require_binaries(*names: str) -> None:
    """Skip the test (fail it under CI) when a Redis program is not installed."""
    missing = missing_binaries(*names)
    if not missing:
        return
    reason = (
        f"{', '.join(missing)} not on PATH: real-Redis tests need Debian's redis-server "
        "package (scripts/test.sh installs it)"
    )
    if running_in_ci():
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(reason)


def new_prefix() -> str:
    return f"qtest-{secrets.token_hex(6)}"


@pytest.fixture(scope="session")
def redis_binary() -> str:
    """``redis-server``, for tests that build their own ``RedisServer`` (skip/fail as above)."""
    require_binaries(SERVER_BINARY)
    return SERVER_BINARY


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A standalone server for the whole session (AOF, fsync every second)."""
    require_binaries(SERVER_BINARY)
    from queuectl_redis.testing.servers import RedisServer

    with RedisServer(tmp_path_factory.mktemp("redis-standalone")) as server:
        yield server


@pytest.fixture
def redis_options(redis_server: RedisServer) -> Iterator[dict[str, str]]:
    """Backend options for ``redis_server`` with a fresh prefix, deleted at teardown."""
    from queuectl_redis.testing.servers import key_namespace

    with key_namespace([redis_server.url], new_prefix()) as prefix:
        yield {"url": redis_server.url, "prefix": prefix}


#: The password of ``redis_password_server``: tests look for it where it must not be.
REDIS_PASSWORD = "s3cret-Pa55word-queuectl"


@pytest.fixture(scope="session")
def redis_password_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A standalone server for the whole session that requires :data:`REDIS_PASSWORD`
    (its ``url`` carries it)."""
    require_binaries(SERVER_BINARY)
    from queuectl_redis.testing.servers import RedisServer

    directory = tmp_path_factory.mktemp("redis-password")
    with RedisServer(directory, requirepass=REDIS_PASSWORD) as server:
        yield server


@pytest.fixture
def redis_password_options(redis_password_server: RedisServer) -> Iterator[dict[str, str]]:
    """Backend options for ``redis_password_server`` (the password in the URL), with a
    fresh prefix deleted at teardown."""
    from queuectl_redis.testing.servers import key_namespace

    with key_namespace([redis_password_server.url], new_prefix()) as prefix:
        yield {"url": redis_password_server.url, "prefix": prefix}


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisCluster]:
    """A 3-master Redis Cluster (no replicas) for the whole session."""
    require_binaries(SERVER_BINARY, CLI_BINARY)
    from queuectl_redis.testing.servers import RedisCluster

    with RedisCluster(tmp_path_factory.mktemp("redis-cluster")) as cluster:
        yield cluster


@pytest.fixture
def redis_cluster_options(redis_cluster: RedisCluster) -> Iterator[dict[str, str]]:
    """Backend options for ``redis_cluster`` with a fresh prefix, deleted on every master."""
    from queuectl_redis.testing.servers import key_namespace

    with key_namespace(redis_cluster.urls, new_prefix()) as prefix:
        yield {"url": redis_cluster.url, "prefix": prefix, "cluster": "true"}


@pytest.fixture
def fresh_redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A private standalone server for this test alone (free to restart or kill it)."""
    require_binaries(SERVER_BINARY)
    from queuectl_redis.testing.servers import RedisServer

    with RedisServer(tmp_path / "redis") as server:
        yield server


@pytest.fixture(params=["sqlite", "redis"])
def backend_cli(request: pytest.FixtureRequest, queuectl_cli: QueuectlCli) -> Iterator[QueuectlCli]:
    """``queuectl_cli`` on SQLite, then on a fresh Redis namespace; the workers it started
    are stopped at teardown, before the namespace is deleted."""
    if request.param == "redis":
        from queuectl_core.config import Location

        options: dict[str, str] = request.getfixturevalue("redis_options")
        queuectl_cli.use_backend(Location("redis", options).environ())
    yield queuectl_cli
    queuectl_cli.stop_workers()
