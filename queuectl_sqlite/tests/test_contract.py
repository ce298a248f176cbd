"""The backend-independent storage contract, run against SQLite files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from queuectl_sqlite.storage import SqliteStorage

from queuectl_core.storage import Storage
from queuectl_core.testing.contract import StorageContract


class TestSqliteContract(StorageContract):
    @pytest.fixture
    def make_storage(self, tmp_path: Path) -> Callable[[], Storage]:
        return lambda: SqliteStorage(tmp_path / "q.db")
