"""The storage seam stays split into roles: every method of ``Storage`` is declared by
exactly one role (or is the life of an open instance), so the roles cannot drift."""

from __future__ import annotations

from collections import Counter

import pytest

from queuectl_core.storage import (
    Admin,
    Batches,
    BatchFirstStorage,
    Dependencies,
    JobStore,
    Leases,
    ProgressStore,
    QueueControls,
    ScheduleStore,
    SettingsStore,
    StatsStore,
    Storage,
    WorkerRegistry,
)
from queuectl_core.testing.contract import StorageContract
from queuectl_core.testing.contract.admin import AdminContract
from queuectl_core.testing.contract.batches import BatchesContract
from queuectl_core.testing.contract.dependencies import DependenciesContract
from queuectl_core.testing.contract.jobs import JobsContract
from queuectl_core.testing.contract.leases import LeasesContract
from queuectl_core.testing.contract.progress import ProgressContract
from queuectl_core.testing.contract.queues import QueueControlsContract
from queuectl_core.testing.contract.registry import RegistryContract
from queuectl_core.testing.contract.schedules import SchedulesContract
from queuectl_core.testing.contract.settings import SettingsContract
from queuectl_core.testing.contract.stats import StatsContract

#: Each role and the contract mixin that checks it.
ROLES: dict[type, type] = {
    JobStore: JobsContract,
    Leases: LeasesContract,
    Batches: BatchesContract,
    Admin: AdminContract,
    Dependencies: DependenciesContract,
    WorkerRegistry: RegistryContract,
    SettingsStore: SettingsContract,
    StatsStore: StatsContract,
    ScheduleStore: SchedulesContract,
    QueueControls: QueueControlsContract,
    ProgressStore: ProgressContract,
}
LIFECYCLE = {"warnings", "initialize", "describe", "close"}


def methods(cls: type) -> set[str]:
    """The public methods ``cls`` itself declares (not those it inherits)."""
    return {name for name, value in vars(cls).items() if callable(value) and name[0] != "_"}


def abstract(cls: type) -> set[str]:
    """The abstract methods ``cls`` itself declares."""
    return {name for name in methods(cls) if getattr(vars(cls)[name], "__isabstractmethod__", 0)}


def in_several(names: Counter[str]) -> list[str]:
    return sorted(name for name, count in names.items() if count > 1)


def test_every_abstract_method_of_storage_is_declared_by_exactly_one_role() -> None:
    declared = Counter(name for role in ROLES for name in abstract(role))
    assert in_several(declared) == []
    assert set(declared) == Storage.__abstractmethods__


def test_every_method_of_storage_is_in_one_role_or_its_lifecycle() -> None:
    declared = Counter(name for role in ROLES for name in methods(role))
    assert in_several(declared) == []
    assert methods(Storage) == LIFECYCLE
    assert declared.keys().isdisjoint(LIFECYCLE)
    public = {name for name in dir(Storage) if name[0] != "_" and callable(getattr(Storage, name))}
    assert set(declared) | LIFECYCLE == public


@pytest.mark.parametrize("role", ROLES, ids=lambda role: role.__name__)
def test_storage_is_each_role_and_the_contract_checks_each(role: type) -> None:
    assert issubclass(Storage, role) and issubclass(BatchFirstStorage, role)
    assert issubclass(StorageContract, ROLES[role])
    assert role.__name__ in (ROLES[role].__doc__ or "")
