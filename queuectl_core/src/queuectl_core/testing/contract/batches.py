"""The contract of batches, ``Batches``: claiming and finishing several jobs at once, giving back
unstarted ones, and an attempt's real start.

A worker that runs fast jobs claims several at once (``claim_many``), stores their
ends and claims the next ones in one step (``finish_and_claim_many``), and gives
back the claims it did not start (``release``). A batch behaves exactly as the
single calls would in a row.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from queuectl_core.job import Outcome
from queuectl_core.storage import RELEASED, Batches, Claim, ClaimRequest, Storage, Transition
from queuectl_core.testing.contract.base import (
    FAILURE,
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
    ended,
    ids,
    take,
)
from queuectl_core.testing.factory import JobFactory


def claim_ids(claims: list[Claim]) -> list[str]:
    return [claim.job.id for claim in claims]


def keeps_attempt_records(storage: Storage) -> bool:
    """Whether the backend keeps ``Batches.release``'s default (records stay)."""
    return type(storage).release is Batches.release


class BatchesContract(ContractFixtures):
    """Checks :class:`~queuectl_core.storage.Batches`: ``claim_many``,
    ``finish_and_claim_many``, ``release`` and ``started_at``."""

    # -- claim_many ----------------------------------------------------------------------

    def test_claim_many_takes_jobs_in_the_order_single_claims_would(
        self, storage: Storage, job: JobFactory
    ) -> None:
        storage.enqueue(
            [
                job("neg", priority=-1, next_run_at=T0 - 100),
                job("high-late", priority=5),
                job("future", priority=100, next_run_at=T0 + 1),
                job("high-early", priority=5, next_run_at=T0 - 5),
                job("low", next_run_at=T0 - 10),
            ]
        )
        storage.enqueue([job("z", queue="other"), job("m"), job("high-early-2", priority=5)])
        first = storage.claim_many(ClaimRequest("w1", None, T0, T0 + LEASE, 4))
        assert claim_ids(first) == ["high-early", "high-late", "high-early-2", "low"]
        rest = storage.claim_many(ClaimRequest("w1", None, T0, T0 + LEASE, 100))
        assert claim_ids(rest) == ["z", "m", "neg"]
        assert storage.claim_many(ClaimRequest("w1", None, T0, T0 + LEASE, 100)) == []

    def test_claim_many_leases_each_job_as_a_claim_does(
        self, storage: Storage, job: JobFactory
    ) -> None:
        storage.enqueue([job("a"), job("b")])
        claims = storage.claim_many(ClaimRequest("w1", None, T0 + 2, T0 + 2 + LEASE, 5))
        assert claim_ids(claims) == ["a", "b"]
        assert len({claim.token for claim in claims}) == 2
        for claim in claims:
            assert claim.job == storage.get(claim.job.id)
            assert (claim.attempt, claim.job.attempts, claim.job.state) == (1, 1, R)
            assert (claim.job.worker_id, claim.job.lease_expires_at) == ("w1", T0 + 2 + LEASE)
            [attempt] = storage.attempts(claim.job.id)
            assert (attempt.worker_id, attempt.started_at) == ("w1", T0 + 2)
            assert attempt.outcome is Outcome.RUNNING
        assert sorted(claim_ids(storage.leased_by("w1"))) == ["a", "b"]

    def test_claim_many_respects_the_queues_the_limit_and_due_times(
        self, storage: Storage, job: JobFactory
    ) -> None:
        storage.enqueue(
            [
                job("a1", queue="a"),
                job("b1", queue="b"),
                job("later", queue="a", priority=9, next_run_at=T0 + 10),
                job("a2", queue="a"),
            ]
        )
        assert storage.claim_many(ClaimRequest("w1", ["a"], T0, T0 + LEASE, 0)) == []
        assert storage.claim_many(ClaimRequest("w1", [], T0, T0 + LEASE, 5)) == []
        assert claim_ids(storage.claim_many(ClaimRequest("w1", ["a"], T0, T0 + LEASE, 5))) == [
            "a1",
            "a2",
        ]
        assert claim_ids(storage.claim_many(ClaimRequest("w1", ["a", "b"], T0 + 10, LATER, 1))) == [
            "later"
        ]
        assert storage.get("b1").state is P

    # -- finish_and_claim_many -------------------------------------------------------------

    def test_finish_and_claim_many_finishes_each_then_claims_the_next(
        self, storage: Storage, job: JobFactory
    ) -> None:
        storage.enqueue([job(name) for name in "abcde"])
        a, b, c = storage.claim_many(ClaimRequest("w1", None, T0, T0 + LEASE, 3))
        applied, more = storage.finish_and_claim_many(
            [("a", a.token, TO[C]), ("b", b.token, TO[F]), ("c", c.token, TO[D])],
            ClaimRequest("w1", None, T0, T0 + LEASE, 5),
        )
        assert applied == [True, True, True]
        assert [storage.get(name).state for name in "abc"] == [C, F, D]
        assert [attempt.outcome for name in "abc" for attempt in storage.attempts(name)] == [
            Outcome.SUCCEEDED,
            Outcome.FAILED,
            Outcome.FAILED,
        ]
        assert storage.get("a").result == {"ok": True}
        assert storage.get("b").next_run_at == LATER
        assert claim_ids(more) == ["d", "e"]
        assert all(claim.job == storage.get(claim.job.id) for claim in more)

    def test_finish_and_claim_many_is_fenced_per_job_and_idempotent(
        self, storage: Storage, job: JobFactory
    ) -> None:
        storage.enqueue([job("a"), job("b"), job("c")])
        a, b = storage.claim_many(ClaimRequest("w1", None, T0, T0 + LEASE, 2))
        batch = [("a", a.token + "x", TO[C]), ("b", b.token, TO[C]), ("b", b.token, TO[F])]
        before, history = storage.get("a"), storage.attempts("a")

        applied, claims = storage.finish_and_claim_many(
            batch, ClaimRequest("w1", None, T0, T0 + LEASE, 0)
        )

        assert (applied, claims) == ([False, True, False], [])
        assert (storage.get("a"), storage.attempts("a")) == (before, history)
        assert storage.get("b").state is C
        done_b = storage.get("b"), storage.attempts("b")
        # the same batch again (an answer lost, the call sent again) changes nothing
        applied, claims = storage.finish_and_claim_many(
            batch, ClaimRequest("w1", None, T0, T0 + LEASE, 0)
        )
        assert (applied, claims) == ([False, False, False], [])
        assert (storage.get("b"), storage.attempts("b")) == done_b
        assert storage.get("c").state is P

    def test_an_empty_batch_only_claims(self, storage: Storage, job: JobFactory) -> None:
        storage.enqueue([job("a"), job("b")])
        assert storage.finish_and_claim_many([], ClaimRequest("w1", None, T0, T0 + LEASE, 0)) == (
            [],
            [],
        )
        applied, claims = storage.finish_and_claim_many(
            [], ClaimRequest("w1", None, T0, T0 + LEASE, 1)
        )
        assert (applied, claim_ids(claims)) == ([], ["a"])
        applied, claims = storage.finish_and_claim_many(
            [("a", claims[0].token, TO[C])], ClaimRequest("w1", ["elsewhere"], T0, T0 + LEASE, 3)
        )
        assert (applied, claims) == ([True], [])
        assert storage.get("b").state is P

    def test_finish_and_claim_many_finishes_before_it_claims(
        self, storage: Storage, job: JobFactory
    ) -> None:
        storage.enqueue([job("a")])
        first = take(storage, "a")
        applied, claims = storage.finish_and_claim_many(
            [("a", first.token, TO[P])], ClaimRequest("w1", ["default"], T0, T0 + LEASE, 2)
        )
        assert applied == [True]
        [again] = claims
        assert (again.job.id, again.attempt, again.job.attempts) == ("a", 2, 1)

    # -- the attempt's real start ------------------------------------------------------------

    @pytest.mark.parametrize("batched", [False, True])
    def test_an_attempt_starts_when_the_result_says(
        self, storage: Storage, job: JobFactory, batched: bool
    ) -> None:
        storage.enqueue([job("late"), job("on-time")])
        late, on_time = storage.claim_many(ClaimRequest("w1", None, T0, T0 + LEASE, 2))
        ends = [
            ("late", late.token, Transition(C, ended(at=T0 + 5, started_at=T0 + 3))),
            ("on-time", on_time.token, TO[C]),
        ]
        if batched:
            applied, _ = storage.finish_and_claim_many(
                ends, ClaimRequest("w1", None, T0, T0 + LEASE, 0)
            )
            assert applied == [True, True]
        else:
            assert all(storage.finish(*end) for end in ends)
        [attempt] = storage.attempts("late")
        assert (attempt.started_at, attempt.finished_at, attempt.duration) == (T0 + 3, T0 + 5, 2)
        [attempt] = storage.attempts("on-time")
        assert (attempt.started_at, attempt.finished_at) == (T0, T0 + 1)

    # -- release ---------------------------------------------------------------------------

    def test_release_gives_back_an_unstarted_job_as_if_never_claimed(
        self, storage: Storage, job: JobFactory
    ) -> None:
        storage.enqueue([job("a"), job("b")])
        a, _ = storage.claim_many(ClaimRequest("w1", None, T0, T0 + LEASE, 2))

        assert storage.release([("a", a.token)], T0 + 1) == [True]

        back = storage.get("a")
        assert (back.state, back.attempts, back.worker_id, back.lease_expires_at) == (
            P,
            0,
            None,
            None,
        )
        assert (back.updated_at, back.next_run_at) == (T0 + 1, T0)
        assert claim_ids(storage.leased_by("w1")) == ["b"]
        assert claim_ids(storage.expired(LATER)) == ["b"]
        assert not storage.renew("a", a.token, T0 + 99)
        assert not storage.finish("a", a.token, TO[C])
        if keeps_attempt_records(storage):
            [attempt] = storage.attempts("a")
            assert (attempt.outcome, attempt.error) == (Outcome.INTERRUPTED, RELEASED)
            return
        assert storage.attempts("a") == []
        again = take(storage, "a", worker="w2")  # first again, under the same number
        assert (again.attempt, again.job.attempts) == (1, 1)
        assert storage.attempts("a")[0].worker_id == "w2"

    def test_release_of_a_retry_gives_back_only_that_attempt(
        self, storage: Storage, job: JobFactory
    ) -> None:
        storage.enqueue([job("a")])
        first = take(storage, "a")
        assert storage.finish("a", first.token, Transition(F, FAILURE, next_run_at=T0 + 5))
        retry = take(storage, "a", now=T0 + 5)
        assert retry.attempt == 2

        assert storage.release([("a", retry.token)], T0 + 6) == [True]

        back = storage.get("a")
        assert (back.state, back.attempts, back.next_run_at) == (P, 1, T0 + 5)
        if not keeps_attempt_records(storage):
            assert [a.outcome for a in storage.attempts("a")] == [Outcome.FAILED]
            assert take(storage, "a", now=T0 + 6).attempt == 2

    @pytest.mark.parametrize("spoiler", ["wrong token", "finished", "cancelled", "released"])
    def test_release_is_fenced_by_the_token(
        self, storage: Storage, job: JobFactory, spoiler: str
    ) -> None:
        storage.enqueue([job("a"), job("b")])
        claim = take(storage, "a")
        token = claim.token
        if spoiler == "wrong token":
            token += "x"
        elif spoiler == "finished":
            assert storage.finish("a", token, TO[F])
        elif spoiler == "cancelled":
            storage.cancel("a", T0 + 1)
        else:
            assert storage.release([("a", token)], T0 + 1) == [True]
            take(storage, "a", worker="w2")
        before, history = storage.get("a"), storage.attempts("a")
        assert storage.release([("a", token), ("unknown", token)], T0 + 2) == [False, False]
        assert (storage.get("a"), storage.attempts("a")) == (before, history)
        assert storage.get("b").state is P
        assert storage.release([], T0 + 2) == []

    def test_release_of_many_and_of_a_cancelled_one(
        self, storage: Storage, job: JobFactory
    ) -> None:
        storage.enqueue([job(name) for name in "abc"])
        claims = storage.claim_many(ClaimRequest("w1", None, T0, T0 + LEASE, 3))
        storage.cancel("b", T0 + 1)
        held = [(claim.job.id, claim.token) for claim in claims]
        assert storage.release(held, T0 + 2) == [True, False, True]
        assert [storage.get(name).state for name in "abc"] == [P, X, P]
        assert storage.leased_by("w1") == []
        assert ids(storage.list_jobs(states=[P])) == ["c", "a"]

    # -- concurrency --------------------------------------------------------------------------

    def test_concurrent_batches_take_every_job_exactly_once(
        self, open_storage: Callable[[], Storage], job: JobFactory
    ) -> None:
        instances = [open_storage(), open_storage()]
        all_ids = [f"job{number:03d}" for number in range(400)]
        instances[0].enqueue([job(job_id) for job_id in all_ids])
        threads = 6
        taken: list[list[str]] = [[] for _ in range(threads)]
        errors: list[BaseException] = []
        start = threading.Barrier(threads)

        given_back = threading.Event()  # the giver is done: what is ready now stays ready

        def work(number: int) -> None:
            storage, worker = instances[number % 2], f"w{number}"
            start.wait()
            try:
                if number == 0:  # one of them only takes jobs and gives them back
                    for _ in range(50):
                        given = storage.claim_many(ClaimRequest(worker, None, T0, T0 + LEASE, 3))
                        held = [(claim.job.id, claim.token) for claim in given]
                        assert storage.release(held, T0) == [True] * len(given)
                    given_back.set()
                    return
                claims: list[Claim] = []
                while True:
                    last_round = given_back.is_set()
                    ends = [(claim.job.id, claim.token, TO[C]) for claim in claims]
                    applied, claims = storage.finish_and_claim_many(
                        ends, ClaimRequest(worker, None, T0, T0 + LEASE, number)
                    )
                    assert applied == [True] * len(ends)
                    taken[number] += claim_ids(claims)
                    if not claims and last_round:
                        return
            except BaseException as exc:  # reported below, in the test's thread
                errors.append(exc)
                given_back.set()

        runners = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
        for runner in runners:
            runner.start()
        for runner in runners:
            runner.join(timeout=120)
        assert errors == []
        assert sorted(job_id for mine in taken for job_id in mine) == all_ids
        assert instances[1].counts() == {("default", C): 400}
