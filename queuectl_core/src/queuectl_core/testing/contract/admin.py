"""The contract of what an operator does to jobs, ``Admin``: cancel, retry dead ones, purge."""

from __future__ import annotations

import pytest

from queuectl_core.errors import InvalidStateError, NoSuchJobError
from queuectl_core.job import Outcome, State
from queuectl_core.storage import ClaimRequest, Storage
from queuectl_core.testing.contract.base import (
    LATER,
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
    one_per_state,
    settle,
    take,
)
from queuectl_core.testing.factory import JobFactory


class AdminContract(ContractFixtures):
    """Checks :class:`~queuectl_core.storage.Admin`: cancelling, the dead letter queue
    and purging, all or nothing, never a lost lease."""

    # -- cancel ------------------------------------------------------------------------

    @pytest.mark.parametrize("state", [P, F, State.WAITING])
    def test_cancel_a_waiting_job(self, storage: Storage, job: JobFactory, state: State) -> None:
        if state is State.WAITING:
            storage.enqueue(
                [job("parent", queue="other"), job("a", state=state, after=("parent",))]
            )
        else:
            settle(storage, job("a"), state)
        cancelled = storage.cancel("a", T0 + 7)
        assert cancelled == storage.get("a")
        assert (cancelled.state, cancelled.last_error, cancelled.updated_at) == (
            X,
            "cancelled",
            T0 + 7,
        )
        assert storage.claim(ClaimRequest("w1", ["default"], LATER, LATER + 1)) is None
        assert storage.counts().get(("default", X)) == 1

    def test_cancel_a_processing_job_revokes_its_lease(
        self, storage: Storage, job: JobFactory
    ) -> None:
        storage.enqueue([job("a")])
        claim = take(storage, "a")
        cancelled = storage.cancel("a", T0 + 7, "expired")
        assert (cancelled.state, cancelled.worker_id, cancelled.lease_expires_at) == (X, None, None)
        assert cancelled.last_error == "expired"
        assert cancelled == storage.get("a")
        assert not storage.renew("a", claim.token, T0 + 99)
        assert not storage.finish("a", claim.token, TO[C])
        (attempt,) = storage.attempts("a")
        assert (attempt.outcome, attempt.finished_at, attempt.error) == (
            Outcome.CANCELLED,
            T0 + 7,
            "expired",
        )
        assert storage.leased_by("w1") == [] and storage.expired(LATER) == []

    @pytest.mark.parametrize("state", [C, D, X])
    def test_cancel_a_finished_job_is_refused(
        self, storage: Storage, job: JobFactory, state: State
    ) -> None:
        settle(storage, job("a"), state)
        before = storage.get("a")
        with pytest.raises(InvalidStateError) as caught:
            storage.cancel("a", T0 + 7)
        assert str(caught.value) == (
            f"job 'a' is {state.value}; "
            "only pending, failed, processing or waiting jobs can be cancelled"
        )
        assert storage.get("a") == before
        with pytest.raises(NoSuchJobError):
            storage.cancel("unknown", T0 + 7)

    # -- dead letter queue ---------------------------------------------------------------

    def test_retry_dead_resets_attempts_and_continues_the_history(
        self, storage: Storage, job: JobFactory
    ) -> None:
        settle(storage, job("a", max_retries=0), D)
        assert storage.retry_dead(["a"], T0 + 50) == ["a"]
        back = storage.get("a")
        assert (back.state, back.attempts, back.worker_id) == (P, 0, None)
        assert back.next_run_at <= T0 + 50
        claim = take(storage, "a", now=T0 + 50)
        assert (claim.attempt, claim.job.attempts) == (2, 1)
        assert [a.number for a in storage.attempts("a")] == [1, 2]

    def test_retry_dead_without_ids_retries_every_dead_job(
        self, storage: Storage, job: JobFactory
    ) -> None:
        assert storage.retry_dead(None, T0) == []
        one_per_state(storage, job)
        settle(storage, job("d2", queue="q3"), D)
        assert sorted(storage.retry_dead(None, T0 + 1)) == ["d1", "d2"]
        assert storage.list_jobs(states=[D]) == []
        assert {j.id for j in storage.list_jobs(states=[P])} == {"p1", "p2", "d1", "d2"}

    @pytest.mark.parametrize(
        ("chosen", "error"),
        [(["d1", "unknown"], NoSuchJobError), (["d1", "c1"], InvalidStateError)],
    )
    def test_retry_dead_with_ids_is_all_or_nothing(
        self, storage: Storage, job: JobFactory, chosen: list[str], error: type[Exception]
    ) -> None:
        one_per_state(storage, job)
        before = storage.list_jobs()
        with pytest.raises(error) as caught:
            storage.retry_dead(chosen, T0 + 1)
        wording = {
            NoSuchJobError: "no job with id 'unknown'",
            InvalidStateError: "job 'c1' is completed; only dead jobs can be retried",
        }
        assert str(caught.value) == wording[error]
        assert storage.list_jobs() == before

    # -- purge ---------------------------------------------------------------------------

    def test_purge_deletes_jobs_and_their_attempts(self, storage: Storage, job: JobFactory) -> None:
        one_per_state(storage, job)
        assert storage.purge([D, C]) == 2
        for gone in ("d1", "c1"):
            with pytest.raises(NoSuchJobError):
                storage.get(gone)
            with pytest.raises(NoSuchJobError):
                storage.attempts(gone)
        assert storage.purge([D]) == 0
        storage.enqueue([job("d1", queue="new")])  # the id is free, with a fresh history
        assert take(storage, "d1", queues=["new"]).attempt == 1
        assert len(storage.attempts("d1")) == 1

    def test_purge_keeps_jobs_updated_since_the_cutoff(
        self, storage: Storage, job: JobFactory
    ) -> None:
        storage.enqueue([job("old"), job("new"), job("pending")])
        storage.cancel("old", T0 + 1)
        storage.cancel("new", T0 + 100)
        assert storage.purge([X], updated_before=T0 + 100) == 1
        assert ids(storage.list_jobs()) == ["pending", "new"]
        assert storage.purge([X, P], updated_before=T0 + 101) == 2

    def test_purge_with_a_limit_takes_those_ended_longest_ago_first(
        self, storage: Storage, job: JobFactory
    ) -> None:
        storage.enqueue([job(name) for name in ("x1", "x2", "x3", "x4", "pending")])
        for name, at in (("x1", T0 + 3), ("x2", T0 + 1), ("x3", T0 + 2), ("x4", T0 + 50)):
            storage.cancel(name, at)
        settle(storage, job("c1", queue="q1"), C)  # ended at T0 + 1
        assert storage.purge([X], updated_before=T0 + 10, limit=2) == 2
        assert ids(storage.list_jobs(states=[X])) == ["x4", "x1"]
        assert storage.purge([C, X], updated_before=T0 + 10, limit=1) == 1
        assert storage.purge([C, X], updated_before=T0 + 10, limit=5) == 1
        assert storage.purge([C, X], updated_before=T0 + 10, limit=5) == 0
        assert sorted(ids(storage.list_jobs())) == ["pending", "x4"]
        assert storage.counts() == {("default", X): 1, ("default", P): 1}
        assert storage.purge([X], limit=5) == 1  # no cutoff: every one

    # -- expire ------------------------------------------------------------------------

    def test_expire_cancels_jobs_not_started_by_their_expiry(
        self, storage: Storage, job: JobFactory
    ) -> None:
        storage.enqueue(
            [
                job("a", expires_at=T0 + 10),
                job("b", expires_at=T0 + 5),
                job("later", expires_at=T0 + 100),
                job("plain"),
                job("parent", queue="other"),
                job("w", state=State.WAITING, after=("parent",), expires_at=T0 + 6),
                job("kid", state=State.WAITING, after=("b",)),
            ]
        )
        claims = {  # claimed: to keep running, to fail (a retry to come), to be handed back
            name: settle(storage, job(name, queue=name, expires_at=T0 + 7), R)
            for name in ("run", "retry", "back")
        }
        assert storage.finish("retry", claims["retry"].token, TO[F])  # type: ignore[union-attr]
        assert storage.release([("back", claims["back"].token)], T0 + 2) == [True]  # type: ignore[union-attr]
        assert storage.expire(T0 + 4, "expired") == []
        first = storage.expire(T0 + 10, "expired", limit=2)
        assert ids(first) == ["b", "w"]
        assert storage.expire(T0 + 10, "expired", limit=5) == [
            storage.get("back"),
            storage.get("a"),
        ]
        assert storage.expire(T0 + 10, "expired") == []
        for cancelled in first:
            assert cancelled == storage.get(cancelled.id)
            assert (cancelled.state, cancelled.last_error, cancelled.updated_at) == (
                X,
                "expired",
                T0 + 10,
            )
        assert [storage.get(name).state for name in ("run", "retry", "later", "plain")] == [
            State.PROCESSING,
            F,
            P,
            P,
        ]
        assert storage.unsettled() == ["b"]  # the job waiting for it is to be settled
        assert storage.claim(ClaimRequest("w1", ["back"], LATER, LATER + 1)) is None
        assert storage.counts().get(("default", X)) == 3

    def test_purge_with_ids(self, storage: Storage, job: JobFactory) -> None:
        one_per_state(storage, job)
        settle(storage, job("d2", queue="q3"), D)
        assert storage.purge([D], ["d2"]) == 1
        assert ids(storage.list_jobs(states=[D])) == ["d1"]
        for chosen, error in (
            (["d1", "unknown"], NoSuchJobError),
            (["d1", "c1"], InvalidStateError),
        ):
            with pytest.raises(error):
                storage.purge([D], chosen)
            assert storage.get("d1").state is D
        with pytest.raises(InvalidStateError) as caught:
            storage.purge([D, X], ["d1", "c1"])
        assert (
            str(caught.value) == "job 'c1' is completed; only dead or cancelled jobs can be purged"
        )
