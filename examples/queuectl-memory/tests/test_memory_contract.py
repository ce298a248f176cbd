"""The storage contract suite against the memory backend, opened as queuectl opens any
backend: by name, through the backends the installed plugins registered."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from queuectl_core.config import Location
from queuectl_core.storage import Storage
from queuectl_core.testing import StorageContract


class TestMemoryStorage(StorageContract):
    @pytest.fixture
    def make_storage(self) -> Callable[[], Storage]:
        name = f"contract-{uuid.uuid4().hex}"  # a fresh, empty namespace for each test
        return Location(backend="memory", options={"name": name}).open
