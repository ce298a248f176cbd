"""A worker whose storage refuses an attempt's end keeps the result and never runs the
job again: its lease is renewed, nothing new is claimed, and storing is retried until
it works, the lease is lost, or a forced stop.

The refusal is injected below the storage API (``finish_and_claim_many`` raises the
``StorageFullError`` a full disk raises); tests/e2e/test_full_disk.py fills a real
disk and a real Redis.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
from queuectl_sqlite.storage import SqliteStorage

from queuectl_core.errors import StorageFullError
from queuectl_core.job import AttemptResult, Outcome, State
from queuectl_core.queue import Queue
from queuectl_core.storage import Claim, ClaimRequest, Finish, Transition
from queuectl_core.testing import JobFactory
from queuectl_core.worker import Worker, recovery
from queuectl_core.worker.prefetch import Finished, Holdings
from tests.conftest import wait_for

#: Names of the jobs :func:`run_then_fill` ran, in this process.
RAN: list[str] = []
#: The storage of the running test.
STORAGE: list[RefusingStorage] = []


def run_then_fill(name: str) -> None:
    """A job that fills the disk as it ends: its result cannot be stored."""
    RAN.append(name)
    STORAGE[0].refusing.set()


class RefusingStorage(SqliteStorage):
    """SQLite whose ``finish_and_claim_many`` (every finish and claim of a worker)
    fails while ``refusing`` is set, as on a full disk; renewals still work."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.refusing = threading.Event()
        self.refused = 0
        self.claimed_at: dict[str, float] = {}

    def finish_and_claim_many(
        self,
        finished: Sequence[Finish],
        request: ClaimRequest,
    ) -> tuple[list[bool], list[Claim]]:
        if self.refusing.is_set():
            self.refused += 1
            raise StorageFullError(f"cannot write {self.path}: disk is full (injected)")
        applied, claims = super().finish_and_claim_many(finished, request)
        self.claimed_at.update((claim.job.id, time.time()) for claim in claims)
        return applied, claims


@pytest.fixture
def refusing(isolated_env: Path) -> Iterator[RefusingStorage]:
    RAN.clear()
    storage = RefusingStorage(isolated_env / "q.db")
    STORAGE.append(storage)
    queue = Queue(storage)
    queue.set_setting("heartbeat_interval", "0.05")
    queue.set_setting("lease_timeout", "0.3")
    yield storage
    STORAGE.clear()
    storage.close()


def enqueue(storage: RefusingStorage) -> None:
    queue = Queue(storage)
    command = f"{__name__}:run_then_fill"
    queue.enqueue_many(
        [
            {"id": "once", "type": "python", "command": command, "payload": {"name": "once"}},
            {"id": "after", "command": "true", "priority": -1},
        ]
    )


def during_outage(storage: RefusingStorage, act: Callable[[], None]) -> threading.Thread:
    """Once the storage refuses: ``act()``, then let it store again."""

    def run() -> None:
        storage.refusing.wait(10)
        try:
            act()
        finally:
            storage.refusing.clear()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_a_refused_result_is_kept_renewed_and_stored_once_the_storage_is_back(
    refusing: RefusingStorage, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "queuectl.worker")
    enqueue(refusing)
    other = SqliteStorage(refusing.path)  # another worker's view: its sweeps find nothing
    seen: dict[str, object] = {}
    ended = 0.0

    def outage() -> None:
        nonlocal ended
        first = refusing.get("once").lease_expires_at
        assert first is not None
        time.sleep(1.0)  # over three lease timeouts
        now = time.time()
        seen["swept"] = recovery.sweep_expired(other, now)
        job = refusing.get("once")
        seen["state"], seen["renewed"] = job.state, (job.lease_expires_at or 0) > max(first, now)
        seen["after"] = refusing.get("after").state
        ended = time.time()

    thread = during_outage(refusing, outage)
    assert Worker(refusing, "w1", burst=True).run() == 0
    thread.join()
    other.close()

    assert seen == {"swept": 0, "state": State.PROCESSING, "renewed": True, "after": State.PENDING}
    assert RAN == ["once"]
    assert refusing.refused > 3  # retried, backing off
    [attempt] = refusing.attempts("once")
    assert (refusing.get("once").state, attempt.outcome) == (State.COMPLETED, Outcome.SUCCEEDED)
    assert refusing.get("after").state is State.COMPLETED
    assert refusing.claimed_at["after"] >= ended  # nothing claimed while a result waited
    assert caplog.text.count("storage error") == 1  # once per outage, not per retry
    assert "disk is full" in caplog.text and "storage available again" in caplog.text


def test_a_result_whose_lease_is_lost_meanwhile_is_discarded(
    refusing: RefusingStorage, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "queuectl.worker")
    enqueue(refusing)

    def outage() -> None:
        refusing.cancel("once", time.time())
        wait_for(lambda: "result discarded" in caplog.text, what="the result dropped")

    thread = during_outage(refusing, outage)
    assert Worker(refusing, "w1", burst=True).run() == 0
    thread.join()

    assert RAN == ["once"]
    assert "job once: cancelled or lease lost before its result was stored" in caplog.text
    assert refusing.get("once").state is State.CANCELLED
    assert refusing.get("after").state is State.COMPLETED


def test_a_graceful_stop_waits_for_the_result_a_forced_one_gives_it_up(
    refusing: RefusingStorage, caplog: pytest.LogCaptureFixture
) -> None:
    enqueue(refusing)
    worker = Worker(refusing, "w1")
    alive_after_stop: list[bool] = []
    returned = threading.Event()

    def outage() -> None:
        worker.stop()
        time.sleep(0.5)
        alive_after_stop.append(not returned.is_set())
        worker.stop(force=True)
        wait_for(returned.is_set, what="the forced stop")  # still refusing: given up

    thread = during_outage(refusing, outage)
    status = worker.run()
    returned.set()
    thread.join()

    assert alive_after_stop == [True]  # the graceful stop kept trying to store
    assert status == 1
    assert "job once: result not stored, the lease will expire" in caplog.text
    job = refusing.get("once")  # recovered on the way out: it will run again
    assert job.state is State.FAILED
    assert [a.outcome for a in refusing.attempts("once")] == [Outcome.LOST]
    assert refusing.get("after").state is State.PENDING


def test_holdings_renew_unstored_results_until_stored_or_dropped() -> None:
    make = JobFactory()
    claims = [Claim(make(), f"token{n}", 1) for n in range(3)]
    result = AttemptResult(Outcome.SUCCEEDED, time.time())
    finished = [Finished(claim, result, Transition(State.COMPLETED, result)) for claim in claims]
    holdings = Holdings()
    holdings.keep_unstored(finished)
    assert holdings.claims() == claims  # their leases are renewed
    assert holdings.hand_back_at() is None  # nothing to hand back: they wait for the storage

    assert holdings.drop_unstored(claims[1]) and not holdings.drop_unstored(claims[1])
    assert holdings.unstored() == [finished[0], finished[2]]
    assert holdings.stored(finished) == [True, False, True]  # the dropped one is not reported
    assert holdings.unstored() == [] and holdings.claims() == []
