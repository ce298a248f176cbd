"""The backend-independent storage contract, on fakeredis, a real server and a cluster."""

from __future__ import annotations

from collections.abc import Callable

import fakeredis
import pytest
from queuectl_redis.storage import RedisStorage

from queuectl_core.storage import Storage
from queuectl_core.testing.contract import StorageContract


class TestFakeRedisContract(StorageContract):
    @pytest.fixture
    def make_storage(self) -> Callable[[], Storage]:
        server = fakeredis.FakeServer()
        return lambda: RedisStorage(fakeredis.FakeRedis(server=server), "qtest")


class TestRedisServerContract(StorageContract):
    @pytest.fixture
    def make_storage(self, redis_options: dict[str, str]) -> Callable[[], Storage]:
        return lambda: RedisStorage.from_options(redis_options)


class TestRedisClusterContract(StorageContract):
    @pytest.fixture
    def make_storage(self, redis_cluster_options: dict[str, str]) -> Callable[[], Storage]:
        return lambda: RedisStorage.from_options(redis_cluster_options)
