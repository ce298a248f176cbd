"""The contract of jobs that wait for others, ``Dependencies``: the index of dependents,
which ended jobs are unsettled, and settling them as core decides."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from queuectl_core.errors import NoSuchJobError
from queuectl_core.job import Job, State
from queuectl_core.storage import ClaimRequest, DependentMove, Storage
from queuectl_core.testing.contract.base import (
    LATER,
    LEASE,
    T0,
    TO,
    C,
    ContractFixtures,
    D,
    F,
    P,
    R,
    X,
    ids,
    settle,
    take,
)
from queuectl_core.testing.contract.registry import waits_for
from queuectl_core.testing.factory import JobFactory

W = State.WAITING


def waiting(job: JobFactory, job_id: str, *after: str, **fields: Any) -> Job:
    """A job stored waiting for ``after``, as core enqueues one."""
    return job(job_id, state=W, after=after, **fields)


def end(storage: Storage, job_id: str, state: State, now: float = T0) -> None:
    """Claim ``job_id`` (in its own queue or ``default``) and end it in ``state``."""
    queue = storage.get(job_id).queue
    if state is X:
        storage.cancel(job_id, now)
        return
    claim = take(storage, job_id, now=now, queues=[queue])
    assert storage.finish(job_id, claim.token, TO[state])


def move(job_id: str, source: State, target: State, error: str | None = None) -> DependentMove:
    return DependentMove(job_id, source, target, error, ready=target is P)


class DependenciesContract(ContractFixtures):
    """Checks :class:`~queuectl_core.storage.Dependencies`: enqueue indexes each job's
    ``after``, an ended job with dependents is unsettled until settled, and a settle
    applies core's moves atomically, fenced by states."""

    # -- the index of dependents ----------------------------------------------------------

    def test_enqueue_indexes_dependents_oldest_first(
        self, open_storage: Callable[[], Storage], job: JobFactory
    ) -> None:
        storage, reader = open_storage(), open_storage()
        storage.enqueue([job("a"), job("b")])
        storage.enqueue([waiting(job, "c", "a", "b")])
        storage.enqueue([waiting(job, "d", "a", created_at=T0 + 1)])
        found = reader.dependents(["a", "b", "c", "unknown"])
        assert {job_id: ids(jobs) for job_id, jobs in found.items()} == {
            "a": ["c", "d"],
            "b": ["c"],
        }
        assert found["a"][0] == reader.get("c")
        assert reader.get("c").state is W
        assert reader.dependents([]) == {}

    def test_a_dependency_may_come_later_in_the_batch(
        self, storage: Storage, job: JobFactory
    ) -> None:
        storage.enqueue([waiting(job, "c", "a"), job("a")])
        assert ids(storage.dependents(["a"])["a"]) == ["c"]

    def test_an_unknown_dependency_refuses_the_whole_batch(
        self, storage: Storage, job: JobFactory
    ) -> None:
        storage.enqueue([job("a")])
        with pytest.raises(NoSuchJobError) as caught:
            storage.enqueue([job("b"), waiting(job, "c", "a", "missing")])
        assert caught.value.job_id == "missing"
        assert ids(storage.list_jobs()) == ["a"]
        assert storage.counts() == {("default", P): 1}
        assert storage.dependents(["a", "missing"]) == {}
        end(storage, "a", C)
        assert storage.unsettled() == []

    def test_a_waiting_job_is_counted_and_listed_but_never_claimed(
        self, storage: Storage, job: JobFactory
    ) -> None:
        storage.enqueue([job("a", next_run_at=LATER), waiting(job, "c", "a")])
        assert storage.counts() == {("default", P): 1, ("default", W): 1}
        assert ids(storage.list_jobs(states=[W])) == ["c"]
        assert storage.next_due() == LATER
        take(storage, "a", now=LATER)
        assert storage.claim(ClaimRequest("w2", None, LATER + 1, LATER + LEASE)) is None

    # -- unsettled jobs ---------------------------------------------------------------------

    @pytest.mark.parametrize(
        ("state", "unsettled"), [(C, True), (D, True), (X, True), (F, False), (R, False)]
    )
    def test_a_job_with_dependents_is_unsettled_once_it_ends(
        self, storage: Storage, job: JobFactory, state: State, unsettled: bool
    ) -> None:
        for name in ("a", "plain"):
            storage.enqueue([job(name, queue=name)])
        storage.enqueue([waiting(job, "c", "a")])
        assert storage.unsettled() == []
        for name in ("a", "plain"):
            if state is R:
                take(storage, name, queues=[name])
            else:
                end(storage, name, state)
        assert storage.unsettled() == (["a"] if unsettled else [])
        assert storage.settle("a", state, [], T0 + 2) == []
        assert storage.unsettled() == []

    def test_a_dependent_of_an_ended_job_makes_it_unsettled_at_once(
        self, storage: Storage, job: JobFactory
    ) -> None:
        settle(storage, job("a"), C)
        assert storage.unsettled() == []
        storage.enqueue([waiting(job, "c", "a")])
        assert storage.unsettled() == ["a"]
        assert storage.settle("a", C, [move("c", W, P)], T0 + 1) == [True]
        assert storage.unsettled() == []
        storage.enqueue([waiting(job, "d", "a")])  # settled already, but not for this one
        assert storage.unsettled() == ["a"]

    def test_unsettled_takes_at_most_its_limit(self, storage: Storage, job: JobFactory) -> None:
        for n in range(3):
            settle(storage, job(f"a{n}", queue=f"q{n}"), C)
            storage.enqueue([waiting(job, f"c{n}", f"a{n}")])
        assert sorted(storage.unsettled()) == ["a0", "a1", "a2"]
        assert len(storage.unsettled(2)) == 2

    def test_claims_tell_which_jobs_have_dependents(
        self, storage: Storage, job: JobFactory
    ) -> None:
        storage.enqueue([job("a", priority=2), job("b", priority=1), waiting(job, "c", "a")])
        claims = storage.claim_many(ClaimRequest("w1", None, T0, T0 + LEASE, limit=2))
        assert [(claim.job.id, claim.dependents) for claim in claims] == [("a", True), ("b", False)]
        held = storage.leased_by("w1")
        assert [(claim.job.id, claim.dependents) for claim in held] == [("a", True), ("b", False)]
        expired = storage.expired(LATER)
        assert sorted((c.job.id, c.dependents) for c in expired) == [("a", True), ("b", False)]

    # -- settling ------------------------------------------------------------------------

    def test_settle_moves_dependents_as_core_decided(
        self, open_storage: Callable[[], Storage], job: JobFactory
    ) -> None:
        storage, reader = open_storage(), open_storage()
        storage.enqueue([job("a"), job("b")])
        storage.enqueue(
            [
                waiting(job, "p", "a", queue="next", priority=3),
                waiting(job, "x", "a"),
                waiting(job, "w", "a", "b"),
            ]
        )
        end(storage, "a", C)
        moves = [move("p", W, P), move("x", W, X, "dependency a dead"), move("w", P, X, "no")]
        assert storage.settle("a", C, moves, T0 + 5) == [True, True, False]
        p, x, w = (reader.get(job_id) for job_id in ("p", "x", "w"))
        assert (p.state, p.last_error, p.updated_at, p.next_run_at) == (P, None, T0 + 5, T0)
        assert (x.state, x.last_error, x.updated_at) == (X, "dependency a dead", T0 + 5)
        assert (w.state, w.last_error, w.updated_at) == (W, None, T0)
        assert reader.counts() == {
            ("default", C): 1,
            ("default", P): 1,
            ("next", P): 1,
            ("default", X): 1,
            ("default", W): 1,
        }
        assert ids(reader.list_jobs(states=[P], queues=["next"])) == ["p"]
        assert reader.unsettled() == []
        assert take(reader, now=T0 + 5).job.id == "p"  # ready at once, by its priority

    def test_settle_is_fenced_by_the_state_seen(self, storage: Storage, job: JobFactory) -> None:
        storage.enqueue([job("a"), waiting(job, "c", "a")])
        end(storage, "a", C)
        assert storage.settle("a", D, [move("c", W, P)], T0 + 5) is None
        assert storage.get("c").state is W
        assert storage.unsettled() == ["a"]
        assert storage.settle("gone", C, [move("c", W, P)], T0 + 5) is None
        assert storage.get("c").state is W

    def test_a_dependent_made_pending_keeps_its_due_time(
        self, storage: Storage, job: JobFactory
    ) -> None:
        storage.enqueue([job("a"), waiting(job, "c", "a", queue="later", next_run_at=LATER)])
        end(storage, "a", C)
        later = DependentMove("c", W, P, ready=False)
        assert storage.settle("a", C, [later], T0 + 5) == [True]
        assert storage.claim(ClaimRequest("w1", ["later"], T0 + 6, T0 + LEASE)) is None
        assert storage.next_due(["later"]) == LATER
        take(storage, "c", now=LATER, queues=["later"])

    def test_a_chain_cancelled_by_a_dead_job_comes_back_when_it_is_retried(
        self, storage: Storage, job: JobFactory
    ) -> None:
        storage.enqueue([job("a"), waiting(job, "b", "a"), waiting(job, "c", "b")])
        end(storage, "a", D)
        assert storage.unsettled() == ["a"]
        assert storage.settle("a", D, [move("b", W, X, "dependency a dead")], T0 + 2) == [True]
        assert storage.unsettled() == ["b"]  # cancelled, with a dependent of its own
        assert storage.settle("b", X, [move("c", W, X, "dependency b cancelled")], T0 + 3) == [True]
        assert storage.unsettled() == []
        assert storage.retry_dead(["a"], T0 + 4) == ["a"]
        assert storage.settle("a", P, [move("b", X, W)], T0 + 4) == [True]
        assert storage.settle("b", W, [move("c", X, W)], T0 + 4) == [True]
        assert [(j.state, j.last_error) for j in map(storage.get, "bc")] == [(W, None)] * 2
        assert storage.unsettled() == []
        end(storage, "a", C, now=T0 + 4)
        assert storage.unsettled() == ["a"]  # ended again: its dependents need settling again
        assert storage.settle("a", C, [move("b", W, P)], T0 + 5) == [True]
        end(storage, "b", X)
        assert storage.unsettled() == ["b"]
        assert storage.counts() == {("default", C): 1, ("default", X): 1, ("default", W): 1}

    def test_purge_drops_the_purged_jobs_from_the_index(
        self, storage: Storage, job: JobFactory
    ) -> None:
        storage.enqueue([job("a"), job("b"), waiting(job, "c", "a", "b")])
        storage.cancel("c", T0 + 1, "dependency a dead")
        assert storage.purge([X], ["c"]) == 1
        assert storage.dependents(["a", "b"]) == {}
        storage.enqueue([waiting(job, "d", "a")])
        storage.cancel("a", T0 + 2)
        assert storage.unsettled() == ["a"]
        assert storage.purge([X], ["a"]) == 1
        assert storage.unsettled() == []
        storage.enqueue([job("a", queue="again")])  # the id again: a new job, no dependents
        assert storage.dependents(["a"]) == {}
        end(storage, "a", C)
        assert storage.unsettled() == []
        assert storage.get("d").state is W

    def test_settle_wakes_idle_workers(
        self, open_storage: Callable[[], Storage], job: JobFactory
    ) -> None:
        storage, other = open_storage(), open_storage()
        other.enqueue([job("a"), waiting(job, "c", "a")])
        end(other, "a", C)
        assert waits_for(storage, lambda: other.settle("a", C, [move("c", W, P)], T0 + 1)) < 2.0
