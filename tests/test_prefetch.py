"""Prefetch: a worker claims and stores fast jobs in batches, and gives back the jobs it
held when a slow one holds them up, when their lease is lost, or when it stops."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from queuectl_sqlite.storage import SqliteStorage

from queuectl_core.job import AttemptResult, Outcome, State
from queuectl_core.queue import Queue
from queuectl_core.storage import Claim, ClaimRequest, Finish, Transition
from queuectl_core.testing import JobFactory
from queuectl_core.worker import Worker, prefetch
from queuectl_core.worker.prefetch import BatchSize, Finished, Holdings
from tests.conftest import Processes, wait_for

#: (job name, time.time()) of every run of :func:`record`, in this process.
RAN: list[tuple[str, float]] = []
#: The worker :func:`stop_worker` and :func:`cancel_job` act on.
WORKER: list[Worker] = []


def record(name: str) -> None:
    RAN.append((name, time.time()))


def stop_worker() -> None:
    WORKER[0].stop()


def cancel_job(victim: str, wait: float) -> None:
    """Cancel another job (one the worker holds), then give the heartbeat time to see it."""
    WORKER[0].storage.cancel(victim, time.time())
    time.sleep(wait)


class CountingStorage(SqliteStorage):
    """SQLite, counting the write transactions that claim, finish and release jobs
    (every claim and finish of this backend goes through ``finish_and_claim_many``)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.calls: Counter[str] = Counter()
        self.claimed_at: dict[str, float] = {}
        self.released: list[str] = []

    def finish_and_claim_many(
        self,
        finished: Sequence[Finish],
        request: ClaimRequest,
    ) -> tuple[list[bool], list[Claim]]:
        self.calls["finish_and_claim_many"] += 1
        applied, claims = super().finish_and_claim_many(finished, request)
        self.claimed_at.update((claim.job.id, request.now) for claim in claims)
        return applied, claims

    def release(self, held: Sequence[tuple[str, str]], now: float) -> list[bool]:
        self.calls["release"] += 1
        released = super().release(held, now)
        self.released += [job_id for (job_id, _), done in zip(held, released, strict=True) if done]
        return released


@pytest.fixture
def counting(isolated_env: Path) -> Iterator[CountingStorage]:
    RAN.clear()
    storage = CountingStorage(isolated_env / "q.db")
    yield storage
    WORKER.clear()
    storage.close()


def python_job(
    job_id: str, function: str, priority: int = 0, **payload: object
) -> dict[str, object]:
    command = f"{__name__}:{function}"
    return {
        "id": job_id,
        "type": "python",
        "command": command,
        "payload": payload,
        "priority": priority,
    }


def names(prefix: str, count: int) -> list[str]:
    return [f"{prefix}{n:04d}" for n in range(count)]


# -- batches ---------------------------------------------------------------------------


def test_fast_jobs_are_claimed_and_stored_in_batches_and_each_runs_once(
    counting: CountingStorage,
) -> None:
    queue = Queue(counting)
    jobs = names("j", 2000)
    queue.enqueue_many([python_job(name, "record", name=name) for name in jobs])

    assert Worker(counting, "w1", burst=True).run() == 0

    assert sorted(name for name, _ in RAN) == jobs  # each exactly once
    assert counting.calls["finish_and_claim_many"] < len(jobs) / 8  # one per batch, not per job
    assert counting.calls["release"] == 0
    assert queue.counts() == {("default", State.COMPLETED): len(jobs)}
    ran_at = dict(RAN)
    later_than_claim = 0
    for name in jobs:
        [attempt] = queue.attempts(name)
        assert attempt.finished_at is not None
        assert counting.claimed_at[name] <= attempt.started_at <= ran_at[name]
        assert ran_at[name] <= attempt.finished_at
        later_than_claim += attempt.started_at > counting.claimed_at[name]
    assert later_than_claim > len(jobs) / 2  # the real start, not the claim's time


def test_a_graceful_stop_gives_back_the_held_jobs_unstarted(counting: CountingStorage) -> None:
    queue = Queue(counting)
    warm_up, after = names("warm", 20), names("after", 30)
    queue.enqueue_many([python_job(name, "record", 10, name=name) for name in warm_up])
    queue.enqueue_many([python_job("stopper", "stop_worker", 5)])
    queue.enqueue_many([python_job(name, "record", name=name) for name in after])
    WORKER.append(Worker(counting, "w1"))

    assert WORKER[0].run() == 0

    assert [name for name, _ in RAN] == warm_up
    assert queue.get("stopper").state is State.COMPLETED
    assert counting.released and set(counting.released) <= set(after)
    for name in after:  # as if never claimed
        job = queue.get(name)
        assert (job.state, job.attempts, job.worker_id) == (State.PENDING, 0, None)
        assert queue.attempts(name) == []
    assert counting.leased_by("w1") == []


def test_a_held_job_whose_lease_is_lost_never_starts(
    counting: CountingStorage, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(prefetch, "HOLD_LIMIT", 60.0)  # only the heartbeat's renewal acts
    queue = Queue(counting)
    queue.set_setting("heartbeat_interval", "0.05")
    queue.enqueue_many([python_job(name, "record", 10, name=name) for name in names("warm", 20)])
    queue.enqueue_many([python_job("canceller", "cancel_job", 5, victim="victim", wait=0.5)])
    queue.enqueue_many([python_job("victim", "record", name="victim")])
    WORKER.append(Worker(counting, "w1", burst=True))

    assert WORKER[0].run() == 0

    assert "victim" in counting.claimed_at  # held when it was cancelled
    assert "victim" not in [name for name, _ in RAN]
    assert queue.get("victim").state is State.CANCELLED
    assert [attempt.outcome for attempt in queue.attempts("victim")] == [Outcome.CANCELLED]
    assert "job victim: cancelled or lease lost; not starting it" in caplog.text


def test_a_slow_job_hands_back_the_held_jobs_to_another_worker(
    queue: Queue, processes: Processes
) -> None:
    warm_up, after = names("warm", 60), names("after", 40)
    queue.enqueue_many([{"id": name, "type": "noop", "priority": 10} for name in warm_up])
    queue.enqueue(id="slow", command="sleep 8", priority=5)
    queue.enqueue_many([{"id": name, "type": "noop"} for name in after])
    processes.spawn("queuectl_core.worker", "--worker-id", "a", log="a")
    wait_for(lambda: queue.get("slow").state is State.PROCESSING, what="the slow job to start")

    processes.spawn("queuectl_core.worker", "--worker-id", "b", log="b")

    def done(ids: list[str]) -> bool:
        return all(queue.get(name).state is State.COMPLETED for name in ids)

    wait_for(lambda: done(after), timeout=30, what="the jobs held behind the slow one")
    assert queue.get("slow").state is State.PROCESSING  # still running: not waited for
    assert done(warm_up)  # stored while the slow job runs
    for name in after:  # given back unstarted: one attempt, by the other worker
        [attempt] = queue.attempts(name)
        assert (attempt.worker_id, queue.get(name).attempts) == ("b", 1)
    assert "handed back" in processes.log("a") and "a slow job" in processes.log("a")


# -- the policy --------------------------------------------------------------------------


def test_the_batch_size_follows_the_recent_attempt_times() -> None:
    size = BatchSize()
    assert size.size() == 1  # nothing seen yet
    size.record(0.0)
    assert size.size() == prefetch.MAX_BATCH
    size.record(10.0)  # one slow job: one at a time again
    assert size.size() == 1
    for _ in range(40):
        size.record(0.001)
    assert abs(size.size() - prefetch.BUDGET / 0.001) <= 1  # the budget's worth
    for _ in range(40):
        size.record(prefetch.BUDGET * 0.6)
    assert size.size() == 1


def claims(count: int) -> list[Claim]:
    make = JobFactory()
    return [Claim(make(), f"token{n}", 1) for n in range(count)]


def test_holdings_hand_back_only_behind_a_job_that_runs_too_long() -> None:
    holdings = Holdings()
    first, *held = claims(4)
    assert holdings.hand_back_at() is None  # nothing held
    holdings.hold([first, *held], since=time.monotonic())
    started = holdings.next()
    assert started is not None and started.claim is first
    result = AttemptResult(Outcome.SUCCEEDED, time.time())
    finished = Finished(first, result, Transition(State.COMPLETED, result))
    holdings.add_result(finished)
    assert holdings.claims() == [*held, first]  # every lease to renew
    with holdings.running(held[0]):
        due = holdings.hand_back_at()
        assert due is not None
        assert holdings.take_if_slow(due - 0.01) == ([], [])
        taken, results = holdings.take_if_slow(due)
        assert ([h.claim for h in taken], results) == (held, [finished])
        holdings.put_back(taken, results, now=due)  # the storage failed: later, again
        assert holdings.take_if_slow(due + 0.5) == ([], [])
        retry_at = holdings.hand_back_at()
        assert retry_at is not None and retry_at >= due + prefetch.RETRY_AFTER
        taken, results = holdings.take_if_slow(retry_at)
        assert [h.claim for h in taken] == held and results[0].maybe_stored
    assert holdings.take_if_slow(time.monotonic() + 999) == ([], [])  # nothing runs


def test_holdings_give_up_held_jobs_that_waited_too_long_or_lost_their_lease() -> None:
    holdings = Holdings()
    a, b, c = claims(3)
    holdings.hold([a, b, c], since=100.0)
    assert holdings.drop(b) and not holdings.drop(b)
    assert holdings.take_held_up(100.0 + prefetch.HOLD_LIMIT) == []
    assert [h.claim for h in holdings.take_held_up(100.1 + prefetch.HOLD_LIMIT)] == [a, c]
    assert holdings.next() is None
