"""The storage contract suite: every backend runs these same tests.

A backend's test module subclasses :class:`StorageContract` and overrides one
fixture, ``make_storage``: each call returns a new instance on the same fresh,
empty namespace (one database file, one key prefix) for the current test::

    import pytest
    from queuectl_core.testing import StorageContract
    from my_backend import MyStorage

    class TestMyStorage(StorageContract):
        @pytest.fixture
        def make_storage(self, tmp_path):
            return lambda: MyStorage(tmp_path / "queue.db")

Then run ``pytest``; the queuectl pytest plugin, installed with queuectl, shows the
compared values of a failed assertion. Every instance made during a test is closed
at its end. Times are logical (``T0`` onwards) and handed to the backend as ``now``.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest

from queuectl_core.errors import DuplicateJobError, InvalidStateError, NoSuchJobError
from queuectl_core.job import Attempt, AttemptResult, Job, Outcome, State, WorkerInfo
from queuectl_core.storage import Claim, Storage, Transition
from queuectl_core.testing import JobFactory

T0 = 1_700_000_000.0  # the suite's "now"
LEASE = 30.0  # claims hold their job until now + LEASE
LATER = T0 + 10_000.0  # when a failed job's retry is due, unless a test says otherwise
P, R, C, F, D, X = (
    State.PENDING,
    State.PROCESSING,
    State.COMPLETED,
    State.FAILED,
    State.DEAD,
    State.CANCELLED,
)
BY_LETTER = {"p": P, "r": R, "c": C, "f": F, "d": D, "x": X}  # see one_per_state()


def ended(kind: Outcome = Outcome.SUCCEEDED, at: float = T0 + 1, **fields: Any) -> AttemptResult:
    """An attempt result finished at ``at``."""
    return AttemptResult(kind, finished_at=at, **fields)


FAILURE = ended(Outcome.FAILED, exit_code=1, error="exit status 1")
TO = {  # a transition into each state an attempt can end in
    C: Transition(C, ended(result={"ok": True})),
    F: Transition(F, FAILURE, next_run_at=LATER),
    D: Transition(D, FAILURE),
    P: Transition(P, ended(Outcome.INTERRUPTED), next_run_at=T0, refund_attempt=True),
}


def take(
    storage: Storage,
    job_id: str | None = None,
    *,
    now: float = T0,
    worker: str = "w1",
    queues: Sequence[str] | None = None,
) -> Claim:
    """Claim the best ready job, which must exist (and be ``job_id`` when given)."""
    claim = storage.claim(worker, queues, now, now + LEASE)
    assert claim is not None, f"nothing to claim at {now} from {queues}"
    if job_id is not None:
        assert claim.job.id == job_id
    return claim


def settle(storage: Storage, job: Job, state: State) -> Claim | None:
    """Enqueue ``job`` and move it into ``state``; its queue must have no other ready job."""
    storage.enqueue([job])
    if state is X:
        storage.cancel(job.id, T0)
    if state in (P, X):
        return None
    claim = take(storage, job.id, now=job.next_run_at, queues=[job.queue])
    if state is not R:
        assert storage.finish(job.id, claim.token, TO[state])
    return claim


def one_per_state(storage: Storage, job: JobFactory) -> None:
    """One job in each state in queues q1 and q2, named state letter + queue number."""
    for name in ("r2", "c1", "f2", "d1", "x2", "p1", "p2"):
        settle(storage, job(name, queue=f"q{name[1]}"), BY_LETTER[name[0]])


def claimed_ids(
    storage: Storage, queues: Sequence[str] | None = None, now: float = T0
) -> list[str]:
    """Claim until nothing is ready; the ids in claim order."""
    ids = []
    while (claim := storage.claim("w1", queues, now, now + LEASE)) is not None:
        ids.append(claim.job.id)
    return ids


def worker(worker_id: str, started_at: float, **fields: Any) -> WorkerInfo:
    return WorkerInfo(worker_id, "host-ü", 4242, started_at=started_at, **fields)


def ids(jobs: Sequence[Job]) -> list[str]:
    return [job.id for job in jobs]


def leases(claims: Sequence[Claim]) -> list[tuple[Job, str, int]]:
    """What identifies each lease (the settings version does not), by job id."""
    return sorted(((c.job, c.token, c.attempt) for c in claims), key=lambda lease: lease[0].id)


def waits_for(storage: Storage, trigger: Callable[[], None]) -> float:
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


class StorageContract:
    """Tests of every guarantee in :mod:`queuectl_core.storage`; subclass to run."""

    @pytest.fixture
    def make_storage(self) -> Callable[[], Storage]:
        """Override: a factory of new instances on one fresh, empty namespace."""
        pytest.fail("a StorageContract subclass must override the make_storage fixture")

    @pytest.fixture
    def open_storage(self, make_storage: Callable[[], Storage]) -> Iterator[Callable[[], Storage]]:
        """``make_storage`` that closes every instance at the end of the test."""
        opened: list[Storage] = []

        def open_one() -> Storage:
            opened.append(make_storage())
            return opened[-1]

        yield open_one
        for storage in reversed(opened):
            storage.close()

    @pytest.fixture
    def storage(self, open_storage: Callable[[], Storage]) -> Storage:
        return open_storage()

    @pytest.fixture
    def job(self) -> JobFactory:
        return JobFactory(now=T0)

    # -- enqueue, get, attempts ----------------------------------------------------

    @pytest.mark.parametrize(
        "fields",
        [
            {},
            {"payload": {"to": ["ünï", "✓ 🚀"], "n": {"deep": [1, 2.5, None, True, {}]}}},
            {"payload": 'text with "quotes"\nand a newline'},
            {"payload": 0},
            {"payload": False},
            {"payload": []},
            {"max_retries": 0, "timeout": 0.25},
            {"max_retries": 7, "timeout": 3600.0},
            {"priority": -5},
            {"priority": 2**62, "max_retries": 2**62},
            {"priority": -(2**62)},
            {"type": "python", "command": "pkg.mod:handler", "queue": "mail.high-1"},
            {"command": "printf 'ü %s\\n' \"$HOME\" | tr a-z A-Z; exit 3"},
            {"created_at": T0 + 0.123456, "updated_at": T0 + 0.5, "next_run_at": T0 + 86400.25},
        ],
        ids=lambda fields: ",".join(fields) or "defaults",
    )
    def test_every_job_field_round_trips(
        self, open_storage: Callable[[], Storage], job: JobFactory, fields: dict[str, Any]
    ) -> None:
        stored = job("a" * 150 + ".b_c:d@e+f-9", **fields)
        writer, reader = open_storage(), open_storage()
        writer.enqueue([stored])
        assert writer.get(stored.id) == stored
        assert reader.get(stored.id) == stored
        assert reader.list_jobs() == [stored]
        assert reader.attempts(stored.id) == []

    def test_enqueue_stores_a_batch(self, storage: Storage, job: JobFactory) -> None:
        batch = [job("a"), job("b", queue="other"), job("c", priority=3)]
        storage.enqueue(batch)
        assert [storage.get(item.id) for item in batch] == batch

    @pytest.mark.parametrize("batch", [["fresh", "old"], ["new", "other", "new"]])
    def test_a_duplicate_id_rejects_the_whole_batch(
        self, storage: Storage, job: JobFactory, batch: list[str]
    ) -> None:
        old = job("old", command="echo original")
        storage.enqueue([old])
        duplicate = "old" if "old" in batch else "new"
        with pytest.raises(DuplicateJobError) as caught:
            storage.enqueue([job(job_id, command="echo changed") for job_id in batch])
        assert caught.value.job_id == duplicate
        assert storage.list_jobs() == [old]
        assert storage.counts() == {("default", P): 1}

    @pytest.mark.parametrize("method", ["get", "attempts"])
    def test_unknown_job_raises(self, storage: Storage, job: JobFactory, method: str) -> None:
        storage.enqueue([job("known")])
        with pytest.raises(NoSuchJobError) as caught:
            getattr(storage, method)("unknown")
        assert caught.value.job_id == "unknown"

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
        assert storage.claim("w2", None, LATER, LATER + LEASE) is None

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
        assert storage.claim("w1", None, T0 + 9.999, T0 + 60) is None
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
        applied, claim = storage.finish_and_claim("a", token, TO[C], "w1", None, T0, T0 + LEASE)
        assert applied is valid_token
        assert storage.get("a").state is (C if valid_token else R)
        assert claim is not None and claim.job == storage.get("b")
        assert (claim.job.state, claim.attempt) == (R, 1)
        applied, claim = storage.finish_and_claim("b", claim.token, TO[C], "w1", None, T0, T0 + 9)
        assert (applied, claim) == (True, None)

    def test_finish_and_claim_finishes_first(self, storage: Storage, job: JobFactory) -> None:
        storage.enqueue([job("a")])
        first = take(storage, "a")
        applied, claim = storage.finish_and_claim(
            "a", first.token, TO[P], "w1", ["default"], T0, T0 + 9
        )
        assert applied and claim is not None
        assert (claim.job.id, claim.attempt, claim.job.attempts) == ("a", 2, 1)

    # -- listing and counting -----------------------------------------------------------

    def test_list_jobs_pages_newest_first(self, storage: Storage, job: JobFactory) -> None:
        for n in range(5):
            storage.enqueue([job(f"j{n}", created_at=T0 + n)])
        storage.enqueue([job("x", created_at=T0 + 9), job("y", created_at=T0 + 9)])
        assert ids(storage.list_jobs()) == ["y", "x", "j4", "j3", "j2", "j1", "j0"]
        assert ids(storage.list_jobs(limit=2)) == ["y", "x"]
        assert ids(storage.list_jobs(limit=3, offset=2)) == ["j4", "j3", "j2"]
        assert ids(storage.list_jobs(offset=6)) == ["j0"]
        assert storage.list_jobs(offset=7) == []

    @pytest.mark.parametrize(
        ("states", "queues", "expected"),
        [
            (None, None, {"p1", "p2", "r2", "c1", "f2", "d1", "x2"}),
            ([P], None, {"p1", "p2"}),
            ([C, D, X], None, {"c1", "d1", "x2"}),
            (None, ["q1"], {"p1", "c1", "d1"}),
            (None, ["q1", "q2"], {"p1", "p2", "r2", "c1", "f2", "d1", "x2"}),
            ([P, R, F], ["q2"], {"p2", "r2", "f2"}),
            ([D], ["q2"], set()),
        ],
    )
    def test_list_jobs_filters(
        self,
        storage: Storage,
        job: JobFactory,
        states: list[State] | None,
        queues: list[str] | None,
        expected: set[str],
    ) -> None:
        one_per_state(storage, job)
        assert set(ids(storage.list_jobs(states=states, queues=queues))) == expected

    def test_counts_are_exact(self, storage: Storage, job: JobFactory) -> None:
        one_per_state(storage, job)
        expected = {
            ("q1", P): 1, ("q2", P): 1, ("q2", R): 1, ("q1", C): 1,
            ("q2", F): 1, ("q1", D): 1, ("q2", X): 1,
        }  # fmt: skip
        counts = storage.counts()
        assert counts == expected
        assert all(isinstance(state, State) for _, state in counts)
        settle(storage, job("p1b", queue="q1"), P)
        assert storage.purge([C, D]) == 2
        expected.update({("q1", P): 2})
        del expected["q1", C], expected["q1", D]
        listed = Counter((j.queue, j.state) for j in storage.list_jobs(limit=1000))
        assert storage.counts() == expected == dict(listed)

    def test_next_due_is_the_earliest_ready_time(self, storage: Storage, job: JobFactory) -> None:
        assert storage.next_due() is None
        settle(storage, job("running", queue="c"), R)
        settle(storage, job("failed", queue="a"), F)  # due at LATER
        storage.enqueue([job("a", queue="a", next_run_at=LATER + 5)])
        storage.enqueue([job("b", queue="b", next_run_at=T0 + 3)])
        assert storage.next_due() == T0 + 3
        assert storage.next_due(["a"]) == LATER
        assert storage.next_due(["a", "b"]) == T0 + 3
        assert storage.next_due(["c"]) is None

    # -- cancel ------------------------------------------------------------------------

    @pytest.mark.parametrize("state", [P, F])
    def test_cancel_a_waiting_job(self, storage: Storage, job: JobFactory, state: State) -> None:
        settle(storage, job("a"), state)
        cancelled = storage.cancel("a", T0 + 7)
        assert cancelled == storage.get("a")
        assert cancelled.state is X
        assert storage.claim("w1", None, LATER, LATER + 1) is None

    def test_cancel_a_processing_job_revokes_its_lease(
        self, storage: Storage, job: JobFactory
    ) -> None:
        storage.enqueue([job("a")])
        claim = take(storage, "a")
        cancelled = storage.cancel("a", T0 + 7)
        assert (cancelled.state, cancelled.worker_id, cancelled.lease_expires_at) == (X, None, None)
        assert cancelled == storage.get("a")
        assert not storage.renew("a", claim.token, T0 + 99)
        assert not storage.finish("a", claim.token, TO[C])
        (attempt,) = storage.attempts("a")
        assert (attempt.outcome, attempt.finished_at) == (Outcome.CANCELLED, T0 + 7)
        assert storage.leased_by("w1") == [] and storage.expired(LATER) == []

    @pytest.mark.parametrize("state", [C, D, X])
    def test_cancel_a_finished_job_is_refused(
        self, storage: Storage, job: JobFactory, state: State
    ) -> None:
        settle(storage, job("a"), state)
        before = storage.get("a")
        with pytest.raises(InvalidStateError):
            storage.cancel("a", T0 + 7)
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
        with pytest.raises(error):
            storage.retry_dead(chosen, T0 + 1)
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

    # -- settings -------------------------------------------------------------------------

    def test_settings_are_saved_removed_and_versioned(
        self, open_storage: Callable[[], Storage]
    ) -> None:
        storage, other = open_storage(), open_storage()
        overrides, version = storage.load_settings()
        assert overrides == {}
        assert storage.settings_version() == version
        previous = version
        for name, value, expected in [
            ("max_retries", "5", {"max_retries": "5"}),
            ("backoff_max", "1h 30m ✓", {"max_retries": "5", "backoff_max": "1h 30m ✓"}),
            ("max_retries", "6", {"max_retries": "6", "backoff_max": "1h 30m ✓"}),
            ("max_retries", None, {"backoff_max": "1h 30m ✓"}),
        ]:
            storage.save_setting(name, value)
            overrides, version = other.load_settings()
            assert overrides == expected
            assert version != previous
            assert storage.settings_version() == other.settings_version() == version
            previous = version

    # -- workers ---------------------------------------------------------------------------

    def test_registered_workers_are_listed_oldest_first(
        self, open_storage: Callable[[], Storage]
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

    def test_heartbeat_reports_a_requested_stop(self, storage: Storage) -> None:
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

    def test_a_waiter_returns_within_its_timeout(self, storage: Storage) -> None:
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
                while (claim := storage.claim(f"w{number}", None, T0, T0 + LEASE)) is not None:
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

    def test_describe_names_the_location(self, storage: Storage) -> None:
        assert isinstance(storage.describe(), str) and storage.describe()
