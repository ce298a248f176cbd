"""The storage contract suite: every backend runs these same tests.

A backend's test module subclasses :class:`StorageContract` and overrides one
fixture, ``make_storage``: each call returns a new instance on the same fresh,
empty namespace (one database file, one key prefix) for the current test::

    import pytest
    from queuectl_core.testing import StorageContract
    from my_backend import MyStorage

    class TestMyStorage(StorageContract):
        @pytest.fixture
        def make_storage(self, tmp_path):
            return lambda: MyStorage(tmp_path / "queue.db")

Then run ``pytest`` with the queuectl pytest plugin (``-p queuectl_core.testing.pytest_plugin``),
which shows the compared values of a failed assertion. Every instance made during a test is closed
at its end. Times are logical (``T0`` onwards) and handed to the backend as ``now``.

The suite is one mixin per role of :mod:`queuectl_core.storage`, in a module of the same
name as the role's: :mod:`.jobs` (``JobStore``), :mod:`.leases` (``Leases``),
:mod:`.batches` (``Batches``), :mod:`.admin` (``Admin``), :mod:`.dependencies`
(``Dependencies``), :mod:`.registry` (``WorkerRegistry``), :mod:`.settings`
(``SettingsStore``), :mod:`.stats` (``StatsStore``), :mod:`.schedules`
(``ScheduleStore``), :mod:`.queues` (``QueueControls``) and :mod:`.progress`
(``ProgressStore``), with :mod:`.output` for the live output of ``Leases``, on the
fixtures and helpers of :mod:`.base`; :mod:`.unique` checks the unique keys of
``JobStore.enqueue``.
"""

from __future__ import annotations

from queuectl_core.storage import Storage
from queuectl_core.testing.contract.admin import AdminContract
from queuectl_core.testing.contract.batches import BatchesContract
from queuectl_core.testing.contract.dependencies import DependenciesContract
from queuectl_core.testing.contract.jobs import JobsContract
from queuectl_core.testing.contract.leases import LeasesContract
from queuectl_core.testing.contract.output import LiveOutputContract
from queuectl_core.testing.contract.progress import ProgressContract
from queuectl_core.testing.contract.queues import QueueControlsContract
from queuectl_core.testing.contract.registry import RegistryContract
from queuectl_core.testing.contract.schedules import SchedulesContract
from queuectl_core.testing.contract.settings import SettingsContract
from queuectl_core.testing.contract.stats import StatsContract
from queuectl_core.testing.contract.unique import UniqueKeysContract

__all__ = ["StorageContract"]


# pytest runs inherited tests in reverse MRO order: this one runs the basics first.
class StorageContract(
    QueueControlsContract,
    ProgressContract,
    SchedulesContract,
    StatsContract,
    SettingsContract,
    RegistryContract,
    DependenciesContract,
    AdminContract,
    BatchesContract,
    LiveOutputContract,
    LeasesContract,
    UniqueKeysContract,
    JobsContract,
):
    """Tests of every guarantee in :mod:`queuectl_core.storage`, one mixin per role, and
    of what :class:`~queuectl_core.storage.Storage` adds to them; subclass to run."""

    def test_describe_names_the_location(self, storage: Storage) -> None:
        assert isinstance(storage.describe(), str) and storage.describe()
