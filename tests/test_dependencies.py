"""Core's rules about jobs that wait for others (queuectl_core.dependencies): the
decision for each dependent, cycles refused, and settling through a real (in-memory)
backend, cascades and revivals included."""

from __future__ import annotations

import time
from typing import Any

import pytest
from queuectl_memory.storage import MemoryStorage

from queuectl_core import dependencies
from queuectl_core.errors import InvalidJobError
from queuectl_core.job import Job, State
from queuectl_core.queue import Queue, prepare_jobs
from queuectl_core.storage import DependentMove
from queuectl_core.testing.factory import JobFactory

P, W, C, D, X, R, F = (
    State.PENDING,
    State.WAITING,
    State.COMPLETED,
    State.DEAD,
    State.CANCELLED,
    State.PROCESSING,
    State.FAILED,
)
NOW = 1_700_000_000.0


@pytest.fixture
def job() -> JobFactory:
    return JobFactory(now=NOW)


def waiting(job: JobFactory, *after: str, **fields: Any) -> Job:
    return job("w", state=W, after=after, **fields)


# -- the decision ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("states", "after_any", "expected"),
    [
        ({"a": C, "b": C}, False, (P, None)),
        ({"a": C, "b": R}, False, (W, None)),
        ({"a": C, "b": F}, False, (W, None)),  # a retry is still to come
        ({"a": R, "b": D}, False, (X, "dependency b dead")),
        ({"a": X, "b": D}, False, (X, "dependency a cancelled")),  # the first in after's order
        ({"a": None, "b": C}, False, (P, None)),  # purged: it had ended well
        ({"a": D, "b": X}, True, (P, None)),
        ({"a": D, "b": P}, True, (W, None)),
        ({"a": None, "b": C}, True, (P, None)),
    ],
)
def test_the_verdict(
    job: JobFactory, states: dict[str, State | None], after_any: bool, expected: tuple[Any, ...]
) -> None:
    assert dependencies.verdict(waiting(job, "a", "b", after_any=after_any), states) == expected


def test_a_waiting_job_moves_to_its_verdict(job: JobFactory) -> None:
    dependent = waiting(job, "a")
    assert dependencies.decide(dependent, {"a": R}, NOW) is None
    assert dependencies.decide(dependent, {"a": C}, NOW) == DependentMove("w", W, P, None, True)
    later = waiting(job, "a", next_run_at=NOW + 60)
    assert dependencies.decide(later, {"a": C}, NOW) == DependentMove("w", W, P, None, False)
    assert dependencies.decide(dependent, {"a": D}, NOW) == DependentMove(
        "w", W, X, "dependency a dead"
    )


def test_a_job_cancelled_by_a_dependency_comes_back_only_when_that_one_is_retried(
    job: JobFactory,
) -> None:
    cancelled = job("w", state=X, after=("a", "b"), last_error="dependency a dead")
    assert dependencies.decide(cancelled, {"a": D, "b": C}, NOW) is None
    assert dependencies.decide(cancelled, {"a": None, "b": C}, NOW) is None  # purged: stays
    assert dependencies.decide(cancelled, {"a": P, "b": R}, NOW) == DependentMove("w", X, W)
    assert dependencies.decide(cancelled, {"a": C, "b": C}, NOW) == DependentMove(
        "w", X, P, None, True
    )
    assert dependencies.decide(cancelled, {"a": P, "b": D}, NOW) == DependentMove(
        "w", X, X, "dependency b dead"
    )


@pytest.mark.parametrize(
    "fields",
    [
        {"last_error": "cancelled"},  # by a person
        {"last_error": "dependency z dead"},  # z is not one it waits for
        {"last_error": "dependency a dead", "after_any": True},
    ],
)
def test_other_cancelled_jobs_are_never_revived(job: JobFactory, fields: dict[str, Any]) -> None:
    cancelled = job("w", state=X, after=("a",), **fields)
    assert dependencies.decide(cancelled, {"a": P}, NOW) is None


# -- at enqueue ----------------------------------------------------------------------------


def spec(job_id: str, *after: str) -> dict[str, Any]:
    return {"id": job_id, "command": "true", "after": list(after)}


@pytest.mark.parametrize(
    ("specs", "message"),
    [
        ([spec("a", "a")], "job 1: after: dependency cycle a -> a"),
        ([spec("a", "b"), spec("b", "a")], "job 1: after: dependency cycle a -> b -> a"),
        (
            [spec("x"), spec("a", "x", "c"), spec("b", "a"), spec("c", "b")],
            "job 2: after: dependency cycle a -> c -> b -> a",
        ),
    ],
)
def test_cycles_in_a_batch_are_refused(specs: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(InvalidJobError) as caught:
        prepare_jobs(specs)
    assert str(caught.value) == message


def test_a_long_chain_and_ids_outside_the_batch_are_no_cycle() -> None:
    chain = [spec("j0", "outside")] + [spec(f"j{n}", f"j{n - 1}") for n in range(1, 5000)]
    started = time.monotonic()
    jobs = prepare_jobs(reversed(chain))
    assert time.monotonic() - started < 5
    assert jobs[0].state is W and jobs[0].after == ("j4998",)
    assert dependencies.outside(jobs) == (5000, "outside")


# -- settling through a backend ------------------------------------------------------------


def states(storage: MemoryStorage, *job_ids: str) -> list[tuple[State, str | None]]:
    return [(storage.get(i).state, storage.get(i).last_error) for i in job_ids]


def end(storage: MemoryStorage, job_id: str, state: State) -> None:
    """End a job as a worker that died before settling would."""
    storage.namespace.jobs[job_id] = storage.get(job_id).evolve(state=state)


def test_a_chain_is_cancelled_then_revived_and_released(job: JobFactory) -> None:
    storage = MemoryStorage()
    queue = Queue(storage)
    queue.store(prepare_jobs([spec("a"), spec("b", "a"), spec("c", "b"), spec("d", "a")]))
    end(storage, "a", D)
    assert storage.unsettled() == ["a"]
    moves = dependencies.sweep(storage, NOW, hook_queue=queue.for_hooks)
    assert [(m.job_id, m.target) for m in moves] == [("b", X), ("d", X), ("c", X)]
    assert states(storage, "b", "c") == [(X, "dependency a dead"), (X, "dependency b cancelled")]
    assert storage.unsettled() == []

    moved = dependencies.revive(storage, ["a", "b"], NOW, hook_queue=queue.for_hooks)
    assert moved == 0  # a is still dead: nothing comes back
    storage.namespace.jobs["a"] = storage.get("a").evolve(state=P)  # as retry_dead leaves it
    assert dependencies.revive(storage, ["a"], NOW, hook_queue=queue.for_hooks) == 3
    assert states(storage, "b", "c", "d") == [(W, None)] * 3

    end(storage, "a", C)
    storage.namespace.unsettled["a"] = True  # as the backend's finish would
    dependencies.sweep(storage, NOW, hook_queue=queue.for_hooks)
    assert states(storage, "b", "c", "d") == [(P, None), (W, None), (P, None)]


def test_a_job_of_a_reused_id_is_not_waited_for(job: JobFactory) -> None:
    storage = MemoryStorage()
    queue = Queue(storage)
    storage.enqueue([job("a", created_at=NOW + 10), job("b"), waiting(job, "a", "b")])
    end(storage, "b", C)
    storage.namespace.unsettled["b"] = True
    dependencies.sweep(storage, NOW, hook_queue=queue.for_hooks)
    assert storage.get("w").state is P  # "a" is younger than w: not the job it named
