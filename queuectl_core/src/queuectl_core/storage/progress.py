"""The role of what a running attempt reports of itself: :class:`ProgressStore`."""

from __future__ import annotations

from abc import ABC, abstractmethod

from queuectl_core.job import Progress


class ProgressStore(ABC):
    """What a job's own running attempt writes about itself (``queuectl progress``,
    ``queuectl heartbeat --extend``), fenced by the attempt's token like a renewal.

    A backend keeps, per job, the last :class:`~queuectl_core.job.Progress` reported
    (``JobStore.get`` and ``list_jobs`` return it as ``Job.progress``) and the seconds
    its timeout was extended by. A claim clears both in the same atomic step (at no
    extra round trip); an attempt's end keeps them. Nothing else changes them.
    Checked by :class:`~queuectl_core.testing.contract.progress.ProgressContract`.
    """

    @abstractmethod
    def set_progress(self, job_id: str, token: str, progress: Progress) -> bool:
        """Store ``progress`` as the job's, replacing any before; ``False`` (and nothing
        stored) unless ``token`` holds the job, processing. Core has checked the
        values (percent 0 to 100, a bounded one-line message)."""

    @abstractmethod
    def extend_timeout(
        self, job_id: str, token: str, seconds: float, maximum: float
    ) -> float | None:
        """Add ``seconds`` (>= 0) to the attempt's timeout extension, atomically, the
        total capped at ``maximum`` (a total already above it is kept); return the
        total now granted (``seconds`` 0 only reads it: 0.0 if never extended), or
        ``None`` (nothing stored) unless ``token`` holds the job, processing."""
