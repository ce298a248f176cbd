"""Unique jobs in core: validation, the policy handed to the backend, the Python API,
and how options are stored (on the memory backend; the backends' side is the contract
suite's ``UniqueKeysContract``)."""

from __future__ import annotations

import pytest
from queuectl_memory.storage import MemoryStorage

from queuectl_core import job_options, unique
from queuectl_core.errors import InvalidJobError
from queuectl_core.job import Job, State
from queuectl_core.queue import Queue, prepare_jobs
from queuectl_core.storage import UniqueCheck


@pytest.fixture
def queue() -> Queue:
    return Queue(MemoryStorage())


def test_the_python_api_returns_the_existing_job_for_a_duplicate(queue: Queue) -> None:
    first = queue.enqueue(command="sync.sh", unique_key="sync", unique_for=3600)
    again = queue.enqueue({"command": "other.sh", "unique_key": "sync"})
    assert again == first
    assert [job.id for job in queue.list_jobs()] == [first.id]
    done = queue.submit(prepare_jobs([{"command": "x", "unique_key": "sync"}, {"command": "y"}]))
    assert done.duplicate == [True, False]
    assert done.jobs[0] == first and done.jobs[1].command == "y"


def test_unique_while_takes_states_as_a_list_a_tuple_or_a_text(queue: Queue) -> None:
    for given in (["pending", "Completed"], ("pending", State.COMPLETED), "pending, completed"):
        [job] = prepare_jobs([{"command": "true", "unique_key": "k", "unique_while": given}])
        assert job.unique_while == (State.PENDING, State.COMPLETED)


def test_the_check_is_core_policy_from_the_job_options() -> None:
    plain, keyed, windowed = prepare_jobs(
        [
            {"command": "true"},
            {"command": "true", "unique_key": "a"},
            {"command": "true", "unique_key": "b", "unique_for": "1h", "unique_while": "dead"},
        ]
    )
    assert unique.checks([plain], 1000.0) is None
    assert unique.checks([plain, keyed, windowed], 10_000.0) == {
        keyed.id: UniqueCheck(frozenset(unique.DEFAULT_STATES)),
        windowed.id: UniqueCheck(frozenset({State.DEAD}), since=10_000.0 - 3600),
    }
    check = UniqueCheck(frozenset({State.PENDING}), since=100.0)
    assert check.holds("pending", 100.0)
    assert not check.holds("pending", 99.9)
    assert not check.holds("completed", 200.0)
    assert not check.holds("no such state", 200.0)


def test_a_file_may_not_wait_for_a_keyed_job_of_the_same_file() -> None:
    with pytest.raises(InvalidJobError, match="job 2: after names 'a', a job of the same batch"):
        prepare_jobs(
            [
                {"id": "a", "command": "true", "unique_key": "k"},
                {"command": "true", "after": ["a"]},
            ]
        )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"unique_key": ""}, "unique_key must not be empty"),
        ({"unique_key": "a\x00b"}, "control characters"),
        ({"unique_key": "a\x85b"}, "control characters"),
        ({"unique_key": "k" * 201}, "at most 200 characters"),
        ({"unique_key": ["k"]}, "unique_key must be a string"),
        ({"unique_key": "\ud800"}, "not valid Unicode"),
        ({"unique_key": "k", "unique_for": 0}, "unique_for must be between 1ms and 100 years"),
        ({"unique_key": "k", "unique_for": True}, "unique_for must be seconds"),
        ({"unique_key": "k", "unique_while": "pending,"}, "'' is not a state"),
        ({"unique_key": "k", "unique_while": [["pending"]]}, "is not a state"),
        ({"unique_key": "k", "unique_while": {}}, "must be a list of states"),
        ({"unique_while": ["pending"]}, "unique_while needs unique_key"),
    ],
)
def test_bad_unique_options_are_refused(fields: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidJobError, match=message):
        prepare_jobs([{"command": "true", **fields}])


def test_the_options_round_trip_and_a_bad_stored_state_is_unreadable() -> None:
    job = Job(
        id="a",
        command="true",
        unique_key="k ✓",
        unique_for=1.5,
        unique_while=(State.PENDING, State.DEAD),
    )
    text = job_options.to_text(job)
    assert text == '{"unique_key":"k ✓","unique_for":1.5,"unique_while":["pending","dead"]}'
    bare = Job(id="a", command="true")
    assert job_options.applied(bare, text) == job
    assert job_options.to_text(bare) is None
    for bad in ('{"unique_while": ["later"]}', '{"unique_while": "pending"}'):
        assert job_options.applied(bare, bad).unreadable == ("options",)


def test_a_schedule_run_that_would_be_a_duplicate_is_the_existing_job(queue: Queue) -> None:
    queue.add_schedule("sync", {"command": "sync.sh", "unique_key": "sync"}, every="1h")
    first = queue.run_schedule("sync")
    assert first.unique_key == "sync" and first.schedule == "sync"
    assert queue.run_schedule("sync") == first
    assert [job.id for job in queue.list_jobs()] == [first.id]


def test_firing_skips_the_runs_that_would_be_duplicates(queue: Queue) -> None:
    from queuectl_core.schedules import firing

    template = {"command": "sync.sh", "unique_key": "sync"}
    added = queue.add_schedule("sync", template, every="1s", catch_up="all", overlap="allow")
    assert added.next_run_at is not None
    fired = firing.fire_due(queue, added.next_run_at + 3)
    assert len(fired) == 1
    assert [job.id for job in queue.list_jobs()] == [fired[0].id]
