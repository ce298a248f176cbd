"""The storage contract suite against the memory backend, opened as queuectl opens any
backend: by name, through the backends the installed plugins registered."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from queuectl_core.config import Location
from queuectl_core.job import State
from queuectl_core.storage import Storage
from queuectl_core.testing import JobFactory, StorageContract


class TestMemoryStorage(StorageContract):
    @pytest.fixture
    def make_storage(self) -> Callable[[], Storage]:
        name = f"contract-{uuid.uuid4().hex}"  # a fresh, empty namespace for each test
        return Location(backend="memory", options={"name": name}).open


def test_the_pytest_plugin_is_loaded(pytestconfig: pytest.Config) -> None:
    assert pytestconfig.pluginmanager.has_plugin("queuectl")


def test_queuectl_job_builds_distinct_pending_jobs(queuectl_job: JobFactory) -> None:
    first, second = queuectl_job(), queuectl_job("named", priority=4)
    assert (first.id, second.id) == ("job-1", "named")
    assert (first.state, second.priority, second.command) == (State.PENDING, 4, "echo named")
    assert first.created_at == first.next_run_at == queuectl_job.now
