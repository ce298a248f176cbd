"""The status view: counts, success rate, workers and the backend's warnings."""

from __future__ import annotations

from queuectl_memory.storage import MemoryStorage

from queuectl_core.overview import overview, success_rate
from queuectl_core.queue import Queue


class WarningStorage(MemoryStorage):
    def __init__(self, *warnings: str) -> None:
        super().__init__()
        self._warnings = list(warnings)

    def warnings(self) -> list[str]:
        return self._warnings


def test_success_rate_is_completed_over_finished() -> None:
    assert success_rate(0, 0) is None
    assert success_rate(3, 1) == 0.75


def test_overview_counts_and_passes_on_backend_warnings() -> None:
    queue = Queue(WarningStorage("the server persists nothing"))
    queue.enqueue(command="true", queue="mail")
    queue.enqueue(command="true")
    view = overview(queue)
    assert view["states"]["pending"] == 2 and view["total"] == 2
    assert view["queues"]["mail"]["pending"] == 1
    assert view["warnings"] == ["the server persists nothing"]
    assert view["success_rate"] is None
    assert overview(Queue(WarningStorage()))["warnings"] == []
