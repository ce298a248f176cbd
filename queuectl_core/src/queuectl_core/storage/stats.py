"""The role of keeping plugins' counters: :class:`StatsStore`."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping


class StatsStore(ABC):
    """Named counters shared by every process, for plugins such as metrics.

    A backend must add a batch of deltas in one atomic step, so that concurrent
    increments from any number of processes are never lost.
    Checked by :class:`~queuectl_core.testing.contract.stats.StatsContract`.
    """

    @abstractmethod
    def add_stats(self, deltas: Mapping[str, float]) -> None:
        """Add each delta to a named counter shared by every process (a new name
        starts at 0), all in one atomic step. For plugins such as metrics, which
        batch their increments; names should start with the plugin's name."""

    @abstractmethod
    def stats(self, prefix: str = "") -> dict[str, float]:
        """Every counter whose name starts with ``prefix``, by name."""
