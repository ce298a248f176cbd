"""The role of controlling queues: :class:`QueueControls`, and :class:`QueueControl`,
what is stored for one queue."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class QueueControl:
    """What a person set on one queue: whether it is paused, why and since when, and
    its concurrency limit (``None``: none)."""

    queue: str
    paused: bool = False
    reason: str | None = None
    paused_at: float | None = None
    concurrency: int | None = None


class QueueControls(ABC):
    """Pausing and resuming queues, and limiting how many of a queue's jobs run at once:
    what ``queuectl queue pause``, ``queue resume`` and ``queue limit`` store, shared by
    every process on every host.

    A backend must enforce a pause in its claim primitive, atomically: once
    :meth:`pause_queues` returns, no claim (``claim``, ``claim_many``,
    ``finish_and_claim``, ``finish_and_claim_many``) takes a job of a paused queue,
    and ``next_due`` ignores its jobs, so an idle worker that serves only paused
    queues sleeps instead of spinning. Jobs already processing are not touched and
    enqueueing into a paused queue still works. Likewise a queue with a concurrency
    limit ``N`` is claimed from only while fewer than ``N`` of its jobs are processing
    (the per-(queue, state) count the backend keeps), checked in the same atomic step,
    and a batch claim takes no more than the room left; a queue at its limit is left
    out of ``next_due`` as a paused one is. A lost worker's slot comes back when its
    job leaves processing (lease-expiry recovery): nothing is held but the count.
    All this must cost a claim no more than a read of a small table or hash that is
    empty when no queue is paused or limited.
    Checked by :class:`~queuectl_core.testing.contract.queues.QueueControlsContract`.
    """

    @abstractmethod
    def queue_controls(self) -> dict[str, QueueControl]:
        """Every queue's stored control, by queue name (a queue neither paused nor limited
        has none)."""

    @abstractmethod
    def pause_queues(self, queues: Sequence[str], reason: str | None, now: float) -> None:
        """Pause each queue (known or not: a stored control makes a queue known), all in
        one atomic step; its control becomes paused with ``reason`` and ``paused_at``
        ``now``, replacing those of an earlier pause."""

    @abstractmethod
    def resume_queues(self, queues: Sequence[str] | None) -> list[str]:
        """Resume each paused queue of ``queues`` (``None``: every paused queue) in one
        atomic step and return those that were paused, in the order given (``None``:
        by name). Wakes idle workers when any was paused. A limit is kept."""

    @abstractmethod
    def limit_queue(self, queue: str, concurrency: int | None) -> None:
        """Set the queue's concurrency limit (``None``: remove it), keeping its pause;
        wakes idle workers (a raised or removed limit may make room)."""

    @abstractmethod
    def due_since(self, queues: Sequence[str]) -> dict[str, float]:
        """For each of ``queues`` that has ready jobs (pending or failed), the earliest
        ``next_run_at`` among them, paused or not: how long its longest-waiting job has
        been due (``queuectl queue list``). An index seek per queue, never a scan."""
