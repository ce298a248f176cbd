"""What a backend subclasses: :class:`Storage`, every role of the seam, and
:class:`BatchFirstStorage`, for a backend whose one primitive is a batch."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import replace

from queuectl_core.storage.admin import Admin
from queuectl_core.storage.batches import Batches
from queuectl_core.storage.dependencies import Dependencies
from queuectl_core.storage.jobs import JobStore
from queuectl_core.storage.progress import ProgressStore
from queuectl_core.storage.queues import QueueControls
from queuectl_core.storage.records import Claim, ClaimRequest, Finish, Transition
from queuectl_core.storage.registry import WorkerRegistry
from queuectl_core.storage.schedules import ScheduleStore
from queuectl_core.storage.settings import SettingsStore
from queuectl_core.storage.stats import StatsStore


class Storage(
    JobStore,
    Batches,
    Admin,
    Dependencies,
    WorkerRegistry,
    SettingsStore,
    StatsStore,
    ScheduleStore,
    QueueControls,
    ProgressStore,
):
    """Abstract base class of every storage backend: every role of the seam and the
    life of an open instance (``warnings``, ``initialize``, ``describe``, ``close``).

    The roles, in order: :class:`JobStore`, :class:`~queuectl_core.storage.Leases`
    (which :class:`Batches` extends, and so brings), :class:`Batches`, :class:`Admin`,
    :class:`Dependencies`, :class:`WorkerRegistry`, :class:`SettingsStore`,
    :class:`StatsStore`, :class:`ScheduleStore`, :class:`QueueControls` and
    :class:`ProgressStore`. A backend
    implements every abstract method; code that needs one role can be typed against it.

    A ``Storage`` instance may be shared by several threads of one process (a
    worker's main loop and its heartbeat thread); several processes open their own
    instances.
    """

    def warnings(self) -> list[str]:
        """Problems a person should know about (``queuectl status`` shows them), e.g.
        a server configured to persist nothing. Must be cheap; empty by default."""
        return []

    def initialize(self) -> None:
        """Make sure ``open_existing`` finds this queue from now on (``queuectl init``).

        Idempotent. Empty by default: for a backend whose ``factory`` creates the
        queue (SQLite creates the file) or that has no ``open_existing``.
        """

    def describe(self) -> str:
        """Where the data lives, for people (e.g. a file path or server URL)."""
        return type(self).__name__

    def close(self) -> None:
        """Release connections and files."""


class BatchFirstStorage(Storage):
    """A backend whose primitive is :meth:`finish_and_claim_many`, done in one atomic
    step: ``claim``, ``claim_many`` and ``finish_and_claim`` are defined through it."""

    def claim(self, request: ClaimRequest) -> Claim | None:
        if request.limit != 1:
            request = replace(request, limit=1)
        claims = self.finish_and_claim_many([], request)[1]
        return claims[0] if claims else None

    def claim_many(self, request: ClaimRequest) -> list[Claim]:
        return self.finish_and_claim_many([], request)[1]

    def finish_and_claim(
        self,
        job_id: str,
        token: str,
        transition: Transition,
        request: ClaimRequest,
    ) -> tuple[bool, Claim | None]:
        if request.limit != 1:
            request = replace(request, limit=1)
        [applied], claims = self.finish_and_claim_many([(job_id, token, transition)], request)
        return applied, claims[0] if claims else None

    @abstractmethod
    def finish_and_claim_many(
        self,
        finished: Sequence[Finish],
        request: ClaimRequest,
    ) -> tuple[list[bool], list[Claim]]:
        """As :meth:`Batches.finish_and_claim_many`, in one atomic step."""
