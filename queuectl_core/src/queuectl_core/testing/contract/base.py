"""What every part of the storage contract suite shares: fixtures, times, helpers.

Times are logical (``T0`` onwards) and handed to the backend as ``now``; a claim
holds its job until ``now + LEASE``. The states are abbreviated to one letter
(``P``, ``R``, ``C``, ``F``, ``D``, ``X``) as in :func:`one_per_state`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest

from queuectl_core.job import AttemptResult, Job, Outcome, State
from queuectl_core.storage import Claim, ClaimRequest, Leases, Storage, Transition
from queuectl_core.testing.factory import JobFactory

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
    storage: Leases,
    job_id: str | None = None,
    *,
    now: float = T0,
    worker: str = "w1",
    queues: Sequence[str] | None = None,
) -> Claim:
    """Claim the best ready job, which must exist (and be ``job_id`` when given)."""
    claim = storage.claim(ClaimRequest(worker, queues, now, now + LEASE))
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


def ids(jobs: Sequence[Job]) -> list[str]:
    return [job.id for job in jobs]


class ContractFixtures:
    """The fixtures every part of the suite uses; ``make_storage`` is the backend's."""

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
