"""The contract of leases, ``Leases``: claim order, renew, finish, fencing tokens, lost workers.

A claim leases a job to one worker until its lease expires; only the current
token renews or finishes it, and concurrent claims never hand out a job twice.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import pytest

from queuectl_core.job import Attempt, Job, Outcome, State
from queuectl_core.storage import Claim, ClaimRequest, Storage, Transition
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
    ended,
    ids,
    take,
)
from queuectl_core.testing.factory import JobFactory


def claimed_ids(
    storage: Storage, queues: Sequence[str] | None = None, now: float = T0
) -> list[str]:
    """Claim until nothing is ready; the ids in claim order."""
    ids = []
    while (claim := storage.claim(ClaimRequest("w1", queues, now, now + LEASE))) is not None:
        ids.append(claim.job.id)
    return ids


def leases(claims: Sequence[Claim]) -> list[tuple[Job, str, int]]:
    """What identifies each lease (the settings version does not), by job id."""
    return sorted(((c.job, c.token, c.attempt) for c in claims), key=lambda lease: lease[0].id)


class LeasesContract(ContractFixtures):
    """Checks :class:`~queuectl_core.storage.Leases`: claiming, renewing and finishing
    jobs, and recovering those of lost workers."""

    # -- claim ----------------------------------------------------------------------

    def test_claim_leases_the_job_and_opens_attempt_one(
        self, storage: Storage, job: JobFactory
    ) -> None:
        storage.enqueue([job("a", payload={"k": "v"})])
        claim = take(storage, "a", now=T0 + 2)
        assert (claim.attempt, claim.job.state, claim.job.worker_id) == (1, R, "w1")
        assert (claim.job.attempts, claim.job.lease_expires_at) == (1, T0 + 2 + LEASE)
        assert isinstance(claim.token, str) and claim.token
        assert claim.job == storage.get("a")
        assert claim.job.payload == {"k": "v"}
        assert storage.attempts("a") == [Attempt("a", 1, "w1", started_at=T0 + 2)]
        # only a fenced finish recovers a job, never a claim, even long after its lease
        assert storage.claim(ClaimRequest("w2", None, LATER, LATER + LEASE)) is None

    def test_claim_order_is_priority_then_due_time_then_enqueue_order(
        self, storage: Storage, job: JobFactory
    ) -> None:
        storage.enqueue(
            [
                job("neg", priority=-1, next_run_at=T0 - 100),
                job("high-late", priority=5),
                job("high-early", priority=5, next_run_at=T0 - 5),
            ]
        )
        storage.enqueue(
            [
                job("low", next_run_at=T0 - 10),
                job("future", priority=100, next_run_at=T0 + 1),
                job("high-early-2", priority=5, next_run_at=T0 - 5),
            ]
        )
        storage.enqueue([job("z"), job("m"), job("c")])
        assert claimed_ids(storage) == [
            "high-early", "high-early-2", "high-late", "low", "z", "m", "c", "neg",
        ]  # fmt: skip

    def test_a_job_is_claimed_only_once_it_is_due(self, storage: Storage, job: JobFactory) -> None:
        storage.enqueue([job("later", next_run_at=T0 + 10)])
        assert storage.claim(ClaimRequest("w1", None, T0 + 9.999, T0 + 60)) is None
        assert storage.next_due() == T0 + 10
        take(storage, "later", now=T0 + 10)

    @pytest.mark.parametrize(
        ("queues", "expected"),
        [(None, {"a", "b", "c"}), (["a"], {"a"}), (["a", "c"], {"a", "c"}), (["zz"], set())],
    )
    def test_claim_takes_only_from_the_given_queues(
        self,
        storage: Storage,
        job: JobFactory,
        queues: list[str] | None,
        expected: set[str],
    ) -> None:
        storage.enqueue([job(name, queue=name) for name in "abc"])
        assert set(claimed_ids(storage, queues)) == expected
        assert {j.id for j in storage.list_jobs(states=[P])} == {"a", "b", "c"} - expected

    def test_attempt_numbers_and_tokens_are_new_for_every_claim(
        self, storage: Storage, job: JobFactory
    ) -> None:
        storage.enqueue([job("a")])
        tokens = set()
        for number in (1, 2, 3):
            claim = take(storage, "a", now=T0 + number)
            assert (claim.attempt, claim.job.attempts) == (number, number)
            tokens.add(claim.token)
            retry = Transition(F, ended(Outcome.FAILED, at=T0 + number), next_run_at=T0 + number)
            assert storage.finish("a", claim.token, retry)
        assert len(tokens) == 3
        history = storage.attempts("a")
        assert [(a.number, a.started_at, a.outcome) for a in history] == [
            (n, T0 + n, Outcome.FAILED) for n in (1, 2, 3)
        ]

    def test_a_claim_carries_the_current_settings_version(
        self, storage: Storage, job: JobFactory
    ) -> None:
        storage.enqueue([job("a"), job("b")])
        first = take(storage, "a")
        storage.save_setting("max_retries", "9")
        second = take(storage, "b")
        if first.settings_version is not None or second.settings_version is not None:
            assert second.settings_version == storage.settings_version()
            assert first.settings_version != second.settings_version

    def test_a_claimed_job_keeps_its_options(self, storage: Storage, job: JobFactory) -> None:
        """A worker runs a job as its options say (cwd, env, retry rules, expiry)."""
        options = {
            "expires_at": T0 + 60,
            "cwd": "/srv",
            "env": {"A": "1"},
            "retry_on_exit": (75,),
            "backoff_jitter": True,
            "unique_key": "k",
        }
        storage.enqueue([job("a", **options)])
        claimed = take(storage, "a").job
        assert {name: getattr(claimed, name) for name in options} == options

    # -- renew and finish --------------------------------------------------------------

    def test_renew_extends_the_lease_only_for_the_current_token(
        self, storage: Storage, job: JobFactory
    ) -> None:
        storage.enqueue([job("a")])
        claim = take(storage, "a")
        assert storage.renew("a", claim.token, T0 + 500)
        assert storage.get("a").lease_expires_at == T0 + 500
        assert not storage.renew("a", claim.token + "x", T0 + 900)
        assert not storage.renew("unknown", claim.token, T0 + 900)
        assert storage.get("a").lease_expires_at == T0 + 500
        assert storage.finish("a", claim.token, TO[C])
        assert not storage.renew("a", claim.token, T0 + 900)
        assert storage.get("a").lease_expires_at is None

    @pytest.mark.parametrize("state", [C, F, D, P])
    def test_finish_moves_the_job_and_closes_the_attempt(
        self, storage: Storage, job: JobFactory, state: State
    ) -> None:
        storage.enqueue([job("a")])
        claim = take(storage, "a")
        transition, result = TO[state], TO[state].result
        assert storage.finish("a", claim.token, transition)
        done = storage.get("a")
        assert (done.state, done.attempts) == (state, 0 if transition.refund_attempt else 1)
        assert done.next_run_at == (transition.next_run_at or T0)
        assert (done.worker_id, done.lease_expires_at) == (None, None)
        assert (done.last_error, done.result) == (result.error, result.result)
        (attempt,) = storage.attempts("a")
        assert (attempt.number, attempt.worker_id, attempt.started_at) == (1, "w1", T0)
        assert (attempt.outcome, attempt.finished_at) == (result.outcome, result.finished_at)
        assert (attempt.exit_code, attempt.error) == (result.exit_code, result.error)

    def test_an_attempt_keeps_binary_output_and_dropped_counts(
        self, storage: Storage, job: JobFactory
    ) -> None:
        storage.enqueue([job("a")])
        claim = take(storage, "a")
        result = ended(
            Outcome.FAILED,
            exit_code=2,
            error="exit status 2",
            stdout=b"\xff\xfe\x00 not utf-8 \x80\n",
            stderr="é ✓".encode() + b"\xc3",
            stdout_dropped=123,
            stderr_dropped=1,
        )
        assert storage.finish("a", claim.token, Transition(D, result))
        (attempt,) = storage.attempts("a")
        assert (attempt.stdout, attempt.stderr) == (result.stdout, result.stderr)
        assert (attempt.stdout_dropped, attempt.stderr_dropped) == (123, 1)
        assert attempt.duration == 1.0

    def test_success_after_a_failure_stores_result_and_clears_last_error(
        self, storage: Storage, job: JobFactory
    ) -> None:
        storage.enqueue([job("a")])
        first = take(storage, "a")
        assert storage.finish("a", first.token, Transition(F, FAILURE, next_run_at=T0 + 5))
        assert storage.get("a").last_error == "exit status 1"
        second = take(storage, "a", now=T0 + 5)
        value = {"rows": [1, "ü", None], "nested": {"ok": True}}
        assert storage.finish("a", second.token, Transition(C, ended(result=value)))
        done = storage.get("a")
        assert (done.state, done.attempts, done.last_error, done.result) == (C, 2, None, value)

    @pytest.mark.parametrize("spoiler", ["wrong token", "finished", "cancelled", "recovered"])
    def test_finish_is_fenced_by_the_token(
        self, storage: Storage, job: JobFactory, spoiler: str
    ) -> None:
        storage.enqueue([job("a")])
        claim = take(storage, "a")
        token = claim.token
        if spoiler == "wrong token":
            token += "x"
        elif spoiler == "finished":
            assert storage.finish("a", token, TO[F])
        elif spoiler == "cancelled":
            storage.cancel("a", T0 + 1)
        else:
            assert storage.finish("a", token, Transition(F, ended(Outcome.LOST), next_run_at=T0))
            take(storage, "a", worker="w2")
        before, history = storage.get("a"), storage.attempts("a")
        assert not storage.finish("a", token, TO[C])
        assert not storage.renew("a", token, T0 + 999)
        assert (storage.get("a"), storage.attempts("a")) == (before, history)

    def test_finish_of_an_unknown_job_does_not_apply(self, storage: Storage) -> None:
        assert not storage.finish("unknown", "token", TO[C])

    def test_a_refunded_attempt_does_not_count_but_keeps_its_number(
        self, storage: Storage, job: JobFactory
    ) -> None:
        storage.enqueue([job("a")])
        assert storage.finish("a", take(storage, "a").token, TO[P])
        claim = take(storage, "a")
        assert (claim.job.attempts, claim.attempt) == (1, 2)
        assert [a.outcome for a in storage.attempts("a")] == [Outcome.INTERRUPTED, Outcome.RUNNING]

    # -- lost workers -------------------------------------------------------------------

    def test_expired_lists_processing_jobs_whose_lease_ran_out(
        self, storage: Storage, job: JobFactory
    ) -> None:
        storage.enqueue([job("a"), job("b"), job("c")])
        a, b = take(storage, "a"), take(storage, "b", now=T0 + 10)  # leases end T0+30, T0+40
        assert storage.expired(T0 + 30) == []
        assert leases(storage.expired(T0 + 35)) == leases([a])
        assert leases(storage.expired(T0 + 41)) == leases([a, b])
        assert len(storage.expired(T0 + 41, limit=1)) == 1
        assert storage.renew("a", a.token, T0 + 100)
        assert ids([c.job for c in storage.expired(T0 + 41)]) == ["b"]

    def test_expired_by_recovers_only_an_expired_lease(
        self, storage: Storage, job: JobFactory
    ) -> None:
        storage.enqueue([job("a")])
        claim = take(storage, "a")  # lease until T0 + 30
        lost = Transition(F, ended(Outcome.LOST, at=T0 + 31), next_run_at=T0 + 31)
        assert not storage.finish("a", claim.token, lost, expired_by=T0 + 29)
        assert storage.renew("a", claim.token, T0 + 60)  # a late renewal wins
        assert not storage.finish("a", claim.token, lost, expired_by=T0 + 31)
        assert storage.get("a").state is R
        assert storage.finish("a", claim.token, lost, expired_by=T0 + 60)
        assert (storage.get("a").state, storage.attempts("a")[0].outcome) == (F, Outcome.LOST)

    def test_leased_by_lists_a_workers_claims(self, storage: Storage, job: JobFactory) -> None:
        storage.enqueue([job("a"), job("b"), job("c"), job("d")])
        a, b = take(storage, "a"), take(storage, "b", worker="w2")
        c = take(storage, "c")
        assert leases(storage.leased_by("w1")) == leases([a, c])
        assert leases(storage.leased_by("w2")) == leases([b])
        assert storage.finish("a", a.token, TO[C])
        assert leases(storage.leased_by("w1")) == leases([c])
        assert storage.leased_by("nobody") == []

    # -- finish_and_claim ---------------------------------------------------------------

    @pytest.mark.parametrize("valid_token", [True, False])
    def test_finish_and_claim_does_both(
        self, storage: Storage, job: JobFactory, valid_token: bool
    ) -> None:
        storage.enqueue([job("a"), job("b")])
        token = take(storage, "a").token if valid_token else "not-a-token"
        if not valid_token:
            take(storage, "a")
        applied, claim = storage.finish_and_claim(
            "a", token, TO[C], ClaimRequest("w1", None, T0, T0 + LEASE)
        )
        assert applied is valid_token
        assert storage.get("a").state is (C if valid_token else R)
        assert claim is not None and claim.job == storage.get("b")
        assert (claim.job.state, claim.attempt) == (R, 1)
        applied, claim = storage.finish_and_claim(
            "b", claim.token, TO[C], ClaimRequest("w1", None, T0, T0 + 9)
        )
        assert (applied, claim) == (True, None)

    def test_finish_and_claim_finishes_first(self, storage: Storage, job: JobFactory) -> None:
        storage.enqueue([job("a")])
        first = take(storage, "a")
        applied, claim = storage.finish_and_claim(
            "a", first.token, TO[P], ClaimRequest("w1", ["default"], T0, T0 + 9)
        )
        assert applied and claim is not None
        assert (claim.job.id, claim.attempt, claim.job.attempts) == ("a", 2, 1)

    # -- concurrency --------------------------------------------------------------------------

    def test_concurrent_claims_take_every_job_exactly_once(
        self, open_storage: Callable[[], Storage], job: JobFactory
    ) -> None:
        instances = [open_storage(), open_storage()]
        all_ids = [f"job{number:03d}" for number in range(500)]
        instances[0].enqueue([job(job_id) for job_id in all_ids])
        threads = 8
        taken: list[list[str]] = [[] for _ in range(threads)]
        errors: list[BaseException] = []
        start = threading.Barrier(threads)

        def work(number: int) -> None:
            storage = instances[number % 2]
            start.wait()
            try:
                while (
                    claim := storage.claim(ClaimRequest(f"w{number}", None, T0, T0 + LEASE))
                ) is not None:
                    taken[number].append(claim.job.id)
                    assert storage.finish(claim.job.id, claim.token, TO[C])
            except BaseException as exc:  # reported below, in the test's thread
                errors.append(exc)

        runners = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
        for runner in runners:
            runner.start()
        for runner in runners:
            runner.join(timeout=120)
        assert errors == []
        assert sorted(job_id for mine in taken for job_id in mine) == all_ids
        assert instances[1].counts() == {("default", C): 500}
