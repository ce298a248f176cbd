"""The storage contract every backend implements, split into roles.

A backend only stores and moves jobs atomically; every policy decision (when to
retry, when a job is dead, what a timeout means) is made in core and handed to the
backend as a :class:`Transition`. The contract is a handful of small abstract
classes, one module each, each checked by the contract suite's module of the same
name in :mod:`queuectl_core.testing.contract`:

- :class:`JobStore` (:mod:`.jobs`): storing jobs and reading, listing, counting them;
- :class:`Leases` (:mod:`.leases`): claiming a job under a fencing token, renewing,
  finishing, and finding the leases of lost workers;
- :class:`Batches` (:mod:`.batches`): the same for several jobs per call, and giving
  back unstarted claims; it extends ``Leases``;
- :class:`Admin` (:mod:`.admin`): cancelling, retrying dead jobs, purging;
- :class:`Dependencies` (:mod:`.dependencies`): which jobs wait for which, and
  applying core's decision about them when one ends;
- :class:`WorkerRegistry` (:mod:`.registry`): the workers, their heartbeats and stop
  requests, and the :class:`Waiter` that wakes idle ones;
- :class:`SettingsStore` (:mod:`.settings`) and :class:`StatsStore` (:mod:`.stats`):
  runtime settings, and counters plugins add to;
- :class:`ScheduleStore` (:mod:`.schedules`): recurring schedules, and moving one
  forward when it fires;
- :class:`QueueControls` (:mod:`.queues`): pausing and resuming queues, enforced by
  the claim primitives.
- :class:`ProgressStore` (:mod:`.progress`): what a running attempt reports of itself
  (progress, a timeout extension), fenced by its token.

:class:`Storage` (:mod:`.base`) is their union plus the life of an open instance;
every backend subclasses it, or :class:`BatchFirstStorage`. The values that cross
the seam are in :mod:`.records`, and :class:`BackendSpec`, how a plugin registers a
backend, in :mod:`.spec`. Every name is importable from this package.
"""

from __future__ import annotations

from queuectl_core.storage.admin import Admin
from queuectl_core.storage.base import BatchFirstStorage, Storage
from queuectl_core.storage.batches import Batches
from queuectl_core.storage.dependencies import Dependencies
from queuectl_core.storage.jobs import JobStore
from queuectl_core.storage.leases import Leases
from queuectl_core.storage.progress import ProgressStore
from queuectl_core.storage.queues import QueueControl, QueueControls
from queuectl_core.storage.records import (
    CANCELLED,
    EXPIRED,
    RELEASED,
    Claim,
    ClaimRequest,
    DependentMove,
    Finish,
    OutputChunk,
    Transition,
    UniqueCheck,
    due_by,
    kept_tail,
)
from queuectl_core.storage.registry import Waiter, WorkerRegistry
from queuectl_core.storage.schedules import ScheduleStore
from queuectl_core.storage.settings import SettingsStore
from queuectl_core.storage.spec import BackendSpec
from queuectl_core.storage.stats import StatsStore

__all__ = [
    "CANCELLED",
    "EXPIRED",
    "RELEASED",
    "Admin",
    "BackendSpec",
    "BatchFirstStorage",
    "Batches",
    "Claim",
    "ClaimRequest",
    "Dependencies",
    "DependentMove",
    "Finish",
    "JobStore",
    "Leases",
    "OutputChunk",
    "ProgressStore",
    "QueueControl",
    "QueueControls",
    "ScheduleStore",
    "SettingsStore",
    "StatsStore",
    "Storage",
    "Transition",
    "UniqueCheck",
    "Waiter",
    "WorkerRegistry",
    "due_by",
    "kept_tail",
]
