"""The ``queuectl`` pytest plugin, loaded in every test run where queuectl is installed.

It offers the ``queuectl_job`` fixture and makes :class:`StorageContract` importable
from here as from :mod:`queuectl_core.testing`. It imports nothing heavy: the
contract suite loads on first access, with pytest's assertion rewriting so its
failures show the compared values.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from queuectl_core.testing import JobFactory

if TYPE_CHECKING:
    from queuectl_core.testing.contract import StorageContract

__all__ = ["JobFactory", "StorageContract", "queuectl_job"]

pytest.register_assert_rewrite("queuectl_core.testing.contract")  # and its submodules


@pytest.fixture
def queuectl_job() -> JobFactory:
    """A factory of valid pending jobs: ``queuectl_job("id", priority=5)``."""
    return JobFactory()


def __getattr__(name: str) -> Any:
    if name == "StorageContract":
        from queuectl_core.testing.contract import StorageContract

        return StorageContract
    raise AttributeError(name)
