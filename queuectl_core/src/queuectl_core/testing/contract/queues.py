"""The contract of pausing and resuming queues:
:class:`~queuectl_core.storage.QueueControls`."""

from __future__ import annotations

import threading
from collections.abc import Callable

from queuectl_core.storage import ClaimRequest, QueueControl, Storage
from queuectl_core.testing.contract.base import LEASE, T0, TO, C, ContractFixtures, P, R, take
from queuectl_core.testing.contract.registry import waits_for
from queuectl_core.testing.factory import JobFactory


def request(queues: list[str] | None, limit: int = 10) -> ClaimRequest:
    return ClaimRequest("w1", queues, T0, T0 + LEASE, limit)


def claimed(storage: Storage, queues: list[str] | None, limit: int = 10) -> list[str]:
    return sorted(claim.job.id for claim in storage.claim_many(request(queues, limit)))


class QueueControlsContract(ContractFixtures):
    """Checks :class:`~queuectl_core.storage.QueueControls`: a pause is stored for every
    instance, blocks every claim primitive for that queue only and hides its jobs from
    ``next_due``; a resume restores them and wakes idle workers. A concurrency limit
    is never exceeded, by batches or racing instances, and a lost slot comes back."""

    def test_pause_is_stored_and_resume_removes_it(
        self, open_storage: Callable[[], Storage]
    ) -> None:
        storage, other = open_storage(), open_storage()
        assert storage.queue_controls() == {}
        storage.pause_queues(["a", "b ü"], "deploy ✓", T0)
        assert other.queue_controls() == {
            "a": QueueControl("a", True, "deploy ✓", T0),
            "b ü": QueueControl("b ü", True, "deploy ✓", T0),
        }
        other.pause_queues(["a"], None, T0 + 5)
        assert storage.queue_controls()["a"] == QueueControl("a", True, None, T0 + 5)
        assert storage.resume_queues(["a", "nope"]) == ["a"]
        assert list(other.queue_controls()) == ["b ü"]
        assert other.resume_queues(None) == ["b ü"]
        assert storage.queue_controls() == {}
        assert storage.resume_queues(None) == []

    def test_a_paused_queue_is_not_claimed_from_by_any_primitive(
        self, storage: Storage, job: JobFactory
    ) -> None:
        storage.enqueue([job("a1", queue="a", priority=5), job("b1", queue="b")])
        running = take(storage, "a1", queues=["a"])
        storage.enqueue([job("a2", queue="a", priority=9), job("a3", queue="a")])
        storage.pause_queues(["a"], None, T0)
        assert storage.claim(request(["a"])) is None
        assert claimed(storage, ["a"]) == []
        applied, more = storage.finish_and_claim_many([("a1", running.token, TO[C])], request(None))
        assert applied == [True]  # a running job of a paused queue still finishes
        assert [claim.job.id for claim in more] == ["b1"]
        assert storage.finish_and_claim("b1", more[0].token, TO[C], request(["a"]))[1] is None
        assert storage.next_due(["a"]) is None
        assert storage.next_due() is None
        storage.enqueue([job("a4", queue="a")])  # enqueue still works
        assert storage.get("a4").state is P
        assert storage.resume_queues(["a"]) == ["a"]
        assert storage.next_due(["a"]) == T0
        assert claimed(storage, None, 2) == ["a2", "a3"]
        assert claimed(storage, ["b", "a"]) == ["a4"]
        assert storage.get("a2").state is R

    def test_pausing_every_queue_and_resuming_all(self, storage: Storage, job: JobFactory) -> None:
        storage.enqueue([job(name, queue=name[0]) for name in ("a1", "b1", "c1")])
        storage.pause_queues(["a", "b", "c"], "all", T0)
        assert claimed(storage, None) == []
        assert claimed(storage, ["a", "b", "c"]) == []
        storage.resume_queues(["b"])
        assert claimed(storage, None) == ["b1"]
        assert storage.resume_queues(None) == ["a", "c"]
        assert claimed(storage, None) == ["a1", "c1"]

    def test_resume_wakes_idle_workers(self, storage: Storage, job: JobFactory) -> None:
        storage.enqueue([job("a1", queue="a")])
        storage.pause_queues(["a"], None, T0)
        assert waits_for(storage, lambda: storage.resume_queues(["a"])) < 5.0

    def test_due_since_is_each_queue_s_earliest_ready_job_paused_or_not(
        self, storage: Storage, job: JobFactory
    ) -> None:
        storage.enqueue(
            [
                job("a1", queue="a", next_run_at=T0 + 5),
                job("a2", queue="a", next_run_at=T0 - 3),
                job("b1", queue="b", next_run_at=T0 + 50),
                job("c1", queue="c"),
            ]
        )
        take(storage, "c1", queues=["c"])
        storage.pause_queues(["a"], None, T0)
        assert storage.due_since(["a", "b", "c", "nope"]) == {"a": T0 - 3, "b": T0 + 50}
        assert storage.due_since([]) == {}

    def test_a_concurrency_limit_holds_for_every_claim_primitive(
        self, storage: Storage, job: JobFactory
    ) -> None:
        storage.enqueue([job(f"a{n}", queue="a") for n in range(6)] + [job("b1", queue="b")])
        storage.limit_queue("a", 2)
        assert storage.queue_controls() == {"a": QueueControl("a", concurrency=2)}
        first = {claim.job.id: claim for claim in storage.claim_many(request(None))}
        assert sorted(first) == ["a0", "a1", "b1"]
        assert storage.claim(request(["a"])) is None
        assert claimed(storage, ["a", "b"]) == []
        assert storage.next_due(["a"]) is None
        a0 = first["a0"]
        applied, more = storage.finish_and_claim_many(
            [(a0.job.id, a0.token, TO[C])], request(["a"], 5)
        )
        assert applied == [True] and [claim.job.id for claim in more] == ["a2"]
        storage.limit_queue("a", 3)
        assert claimed(storage, ["a"]) == ["a3"]
        storage.pause_queues(["a"], "both", T0)
        assert storage.queue_controls()["a"] == QueueControl("a", True, "both", T0, 3)
        storage.limit_queue("a", None)
        assert claimed(storage, ["a"]) == []  # still paused
        storage.resume_queues(["a"])
        assert storage.queue_controls() == {}
        assert claimed(storage, ["a"]) == ["a4", "a5"]

    def test_a_lost_worker_s_slot_comes_back_through_lease_expiry(
        self, storage: Storage, job: JobFactory
    ) -> None:
        storage.enqueue([job("a1", queue="a"), job("a2", queue="a")])
        storage.limit_queue("a", 1)
        lost = take(storage, "a1", queues=["a"])
        assert claimed(storage, ["a"]) == []
        [expired] = storage.expired(T0 + LEASE + 1)
        assert expired.job.id == "a1"
        assert storage.finish("a1", lost.token, TO[P], expired_by=T0 + LEASE + 1)
        assert sorted(claim.job.id for claim in storage.claim_many(request(["a"]))) == ["a1"]
        assert storage.get("a2").state is P

    def test_concurrent_batch_claims_never_exceed_the_limit(
        self, open_storage: Callable[[], Storage], job: JobFactory
    ) -> None:
        storage = open_storage()
        storage.enqueue([job(f"a{n}", queue="a") for n in range(20)])
        storage.limit_queue("a", 3)
        instances = [open_storage() for _ in range(4)]
        taken: list[list[str]] = []

        def claim_some(instance: Storage) -> None:
            taken.append(claimed(instance, None, 5))

        threads = [threading.Thread(target=claim_some, args=(one,)) for one in instances]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert sum(len(ids) for ids in taken) == 3
        assert storage.counts()["a", R] == 3
