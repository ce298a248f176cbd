"""The contract of the worker registry and of waking idle workers:
:class:`~queuectl_core.storage.WorkerRegistry`."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from queuectl_core.job import WorkerInfo
from queuectl_core.storage import Storage, Transition, WorkerRegistry
from queuectl_core.testing.contract.base import (
    FAILURE,
    T0,
    ContractFixtures,
    D,
    F,
    R,
    settle,
)
from queuectl_core.testing.factory import JobFactory


def worker(worker_id: str, started_at: float, **fields: Any) -> WorkerInfo:
    return WorkerInfo(worker_id, "host-ü", 4242, started_at=started_at, **fields)


def waits_for(storage: WorkerRegistry, trigger: Callable[[], object]) -> float:
    """Seconds an idle waiter on ``storage`` sleeps on after ``trigger`` ran."""
    waiter = storage.waiter("w-idle")
    triggered = threading.Event()
    woke: list[float] = []

    def idle() -> None:
        while True:
            waiter.wait(10.0)
            if triggered.is_set():
                woke.append(time.monotonic())
                return

    thread = threading.Thread(target=idle, daemon=True)
    thread.start()
    time.sleep(0.2)  # let it fall asleep
    triggered.set()
    started = time.monotonic()
    trigger()
    thread.join(timeout=15.0)
    waiter.close()
    assert woke, "the waiter did not return"
    return woke[0] - started


class RegistryContract(ContractFixtures):
    """Checks :class:`~queuectl_core.storage.WorkerRegistry`: entries, heartbeats and
    stop requests seen by every instance, and waiters woken by work from any of them."""

    # -- workers ---------------------------------------------------------------------------

    def test_registered_workers_are_listed_oldest_first(
        self, open_storage: Callable[[], WorkerRegistry]
    ) -> None:
        storage, other = open_storage(), open_storage()
        young = worker("young", T0 + 5, queues=("a", "b"), extra={"v": [1, "x"]})
        old = worker("old", T0, heartbeat_at=T0 + 1)
        storage.register_worker(young)
        storage.register_worker(old)
        assert other.workers() == [old, young]
        replaced = worker("young", T0 + 6, heartbeat_at=T0 + 6)
        storage.register_worker(replaced)
        assert other.workers() == [old, replaced]
        storage.unregister_worker("old")
        storage.unregister_worker("never-registered")
        assert other.workers() == [replaced]

    def test_heartbeat_reports_a_requested_stop(self, storage: WorkerRegistry) -> None:
        for number, name in enumerate(("a", "b", "c")):
            storage.register_worker(worker(name, T0 + number))
        assert storage.heartbeat("a", T0 + 10) is False
        assert storage.workers()[0].heartbeat_at == T0 + 10
        assert storage.request_stop(["a", "ghost"]) == 1
        assert [storage.heartbeat(name, T0 + 11) for name in "abc"] == [True, False, False]
        assert storage.heartbeat("a", T0 + 12) is True  # until the worker leaves
        assert [w.stop_requested for w in storage.workers()] == [True, False, False]
        assert storage.request_stop() == 3
        assert all(storage.heartbeat(name, T0 + 13) for name in "abc")
        assert storage.heartbeat("unknown", T0 + 13) is False

    # -- waiting ----------------------------------------------------------------------------

    def test_a_waiter_returns_within_its_timeout(self, storage: WorkerRegistry) -> None:
        waiter = storage.waiter("w1")
        try:
            for timeout in (0.0, 0.3):
                started = time.monotonic()
                waiter.wait(timeout)
                assert time.monotonic() - started < timeout + 1.0
        finally:
            waiter.close()

    @pytest.mark.parametrize("event", ["enqueue", "retry", "retry_dead"])
    def test_a_waiter_wakes_when_work_arrives(
        self, open_storage: Callable[[], Storage], job: JobFactory, event: str
    ) -> None:
        storage, other = open_storage(), open_storage()
        claim = settle(other, job("a"), D if event == "retry_dead" else R)
        assert claim is not None
        retry = Transition(F, FAILURE, next_run_at=T0)
        triggers: dict[str, Callable[[], Any]] = {
            "enqueue": lambda: other.enqueue([job("b")]),
            "retry": lambda: other.finish("a", claim.token, retry),
            "retry_dead": lambda: other.retry_dead(["a"], T0),
        }
        assert waits_for(storage, triggers[event]) < 2.0
