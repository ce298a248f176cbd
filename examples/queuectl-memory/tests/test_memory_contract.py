"""The storage contract suite against the in-memory reference backend."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from queuectl_memory.storage import MemoryNamespace, MemoryStorage

from queuectl_core.job import State
from queuectl_core.storage import Storage
from queuectl_core.testing import JobFactory, StorageContract


class TestMemoryStorage(StorageContract):
    @pytest.fixture
    def make_storage(self) -> Callable[[], Storage]:
        namespace = MemoryNamespace()
        return lambda: MemoryStorage(namespace)


def test_the_pytest_plugin_is_loaded(pytestconfig: pytest.Config) -> None:
    assert pytestconfig.pluginmanager.has_plugin("queuectl")


def test_queuectl_job_builds_distinct_pending_jobs(queuectl_job: JobFactory) -> None:
    first, second = queuectl_job(), queuectl_job("named", priority=4)
    assert (first.id, second.id) == ("job-1", "named")
    assert (first.state, second.priority, second.command) == (State.PENDING, 4, "echo named")
    assert first.created_at == first.next_run_at == queuectl_job.now
