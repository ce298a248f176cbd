"""The contract of unique keys, part of ``JobStore.enqueue``: a job whose check holds for
the job its key names is a duplicate and not stored, atomically with the insert."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from queuectl_core.errors import DuplicateJobError, NoSuchJobError
from queuectl_core.job import State
from queuectl_core.storage import Storage, UniqueCheck
from queuectl_core.testing.contract.base import T0, C, ContractFixtures, D, F, P, R, X, settle
from queuectl_core.testing.factory import JobFactory

#: Core's default check: the states of a job that has not ended, whenever created.
NOT_ENDED = UniqueCheck(frozenset({P, State.WAITING, F, R}))


class UniqueKeysContract(ContractFixtures):
    """Checks the unique keys of :class:`~queuectl_core.storage.JobStore` ``enqueue``:
    duplicates detected by state and creation time, the key naming the job stored last
    with it, purge forgetting it, and racing enqueuers storing one job."""

    def test_a_duplicate_of_a_pending_job_is_not_stored(
        self, storage: Storage, job: JobFactory
    ) -> None:
        first = job("first", unique_key="k")
        assert storage.enqueue([first], {"first": NOT_ENDED}) == {}
        again = job("again", unique_key="k", queue="elsewhere")  # keys span every queue
        assert storage.enqueue([again], {"again": NOT_ENDED}) == {"again": "first"}
        with pytest.raises(NoSuchJobError):
            storage.get("again")
        assert storage.counts() == {("default", P): 1}
        assert storage.enqueue([job("other", unique_key="k2")], {"other": NOT_ENDED}) == {}

    @pytest.mark.parametrize("state", [R, F, P])
    def test_a_job_not_ended_blocks_its_key(
        self, storage: Storage, job: JobFactory, state: State
    ) -> None:
        settle(storage, job("first", unique_key="k"), state)
        assert storage.enqueue([job("again", unique_key="k")], {"again": NOT_ENDED}) == {
            "again": "first"
        }

    @pytest.mark.parametrize("state", [C, D, X])
    def test_an_ended_job_no_longer_blocks_its_key_which_then_names_the_new_job(
        self, storage: Storage, job: JobFactory, state: State
    ) -> None:
        settle(storage, job("first", unique_key="k"), state)
        assert storage.enqueue([job("second", unique_key="k")], {"second": NOT_ENDED}) == {}
        assert storage.get("second").unique_key == "k"
        assert storage.enqueue([job("third", unique_key="k")], {"third": NOT_ENDED}) == {
            "third": "second"
        }

    def test_a_job_created_before_since_does_not_block(
        self, storage: Storage, job: JobFactory
    ) -> None:
        storage.enqueue([job("first", unique_key="k", created_at=T0)], {"first": NOT_ENDED})
        within = UniqueCheck(NOT_ENDED.states, since=T0)
        assert storage.enqueue([job("b", unique_key="k")], {"b": within}) == {"b": "first"}
        past = UniqueCheck(NOT_ENDED.states, since=T0 + 0.5)
        assert storage.enqueue([job("c", unique_key="k")], {"c": past}) == {}
        assert storage.get("c").id == "c"

    def test_the_check_names_the_states_that_block(self, storage: Storage, job: JobFactory) -> None:
        settle(storage, job("first", unique_key="k"), C)
        completed = UniqueCheck(frozenset({C}))
        assert storage.enqueue([job("b", unique_key="k")], {"b": completed}) == {"b": "first"}
        pending_only = UniqueCheck(frozenset({P}))
        assert storage.enqueue([job("c", unique_key="k")], {"c": pending_only}) == {}
        # the key now names c, which is pending
        assert storage.enqueue([job("d", unique_key="k")], {"d": completed}) == {}

    def test_a_job_without_a_check_is_stored_and_named_by_its_key(
        self, storage: Storage, job: JobFactory
    ) -> None:
        storage.enqueue([job("first", unique_key="k")])
        storage.enqueue([job("second", unique_key="k")])  # no check: no duplicate
        assert storage.enqueue([job("b", unique_key="k")], {"b": NOT_ENDED}) == {"b": "second"}

    def test_a_batch_is_taken_in_order(self, storage: Storage, job: JobFactory) -> None:
        batch = [
            job("a", unique_key="k"),
            job("plain"),
            job("b", unique_key="k"),
            job("c", unique_key="other"),
            job("d", unique_key="other"),
        ]
        checks = {one.id: NOT_ENDED for one in batch if one.unique_key}
        assert storage.enqueue(batch, checks) == {"b": "a", "d": "c"}
        assert sorted(one.id for one in storage.list_jobs()) == ["a", "c", "plain"]
        assert storage.counts() == {("default", P): 3}

    def test_a_batch_of_duplicates_only_stores_nothing(
        self, storage: Storage, job: JobFactory
    ) -> None:
        storage.enqueue([job("first", unique_key="k")])
        assert storage.enqueue([job("b", unique_key="k")], {"b": NOT_ENDED}) == {"b": "first"}
        assert [one.id for one in storage.list_jobs()] == ["first"]

    def test_a_duplicate_waits_for_nothing(self, storage: Storage, job: JobFactory) -> None:
        storage.enqueue([job("parent"), job("first", unique_key="k")])
        dup = job("dup", unique_key="k", after=("parent",), state=State.WAITING)
        assert storage.enqueue([dup], {"dup": NOT_ENDED}) == {"dup": "first"}
        assert storage.dependents(["parent"]) == {}

    def test_an_existing_id_is_refused_even_as_a_duplicate(
        self, storage: Storage, job: JobFactory
    ) -> None:
        storage.enqueue([job("first", unique_key="k")])
        with pytest.raises(DuplicateJobError):
            storage.enqueue([job("first", unique_key="k")], {"first": NOT_ENDED})

    def test_a_refused_batch_names_no_key(self, storage: Storage, job: JobFactory) -> None:
        storage.enqueue([job("taken")])
        with pytest.raises(DuplicateJobError):
            storage.enqueue([job("a", unique_key="k"), job("taken")], {"a": NOT_ENDED})
        storage.enqueue([job("b", unique_key="k")], {"b": NOT_ENDED})
        with pytest.raises(NoSuchJobError):
            storage.get("a")
        # the key names b: its duplicate is found (a would be a job that does not exist)
        assert storage.enqueue([job("c", unique_key="k")], {"c": NOT_ENDED}) == {"c": "b"}

    def test_purge_forgets_the_key_of_the_job_it_deletes(
        self, storage: Storage, job: JobFactory
    ) -> None:
        settle(storage, job("first", unique_key="k"), C)
        assert storage.purge([C]) == 1
        completed = UniqueCheck(frozenset({C}))
        assert storage.enqueue([job("b", unique_key="k")], {"b": completed}) == {}

    def test_purge_keeps_a_key_that_names_a_newer_job(
        self, storage: Storage, job: JobFactory
    ) -> None:
        settle(storage, job("old", unique_key="k"), D)
        storage.enqueue([job("new", unique_key="k")], {"new": NOT_ENDED})
        assert storage.purge([D], ["old"]) == 1
        assert storage.enqueue([job("b", unique_key="k")], {"b": NOT_ENDED}) == {"b": "new"}

    def test_a_dead_job_retried_blocks_its_key_again(
        self, storage: Storage, job: JobFactory
    ) -> None:
        settle(storage, job("first", unique_key="k"), D)
        assert storage.retry_dead(["first"], T0 + 5) == ["first"]
        assert storage.enqueue([job("b", unique_key="k")], {"b": NOT_ENDED}) == {"b": "first"}

    def test_racing_enqueuers_store_one_job(
        self, open_storage: Callable[[], Storage], job: JobFactory
    ) -> None:
        racers = 8
        storages = [open_storage() for _ in range(racers)]
        start = threading.Barrier(racers)
        answers: dict[str, str] = {}
        errors: list[BaseException] = []

        def race(number: int) -> None:
            one = job(f"racer-{number}", unique_key="k")
            try:
                start.wait()
                duplicates = storages[number].enqueue([one], {one.id: NOT_ENDED})
                answers[one.id] = duplicates.get(one.id, one.id)
            except BaseException as exc:  # reported below, not lost in the thread
                errors.append(exc)

        threads = [threading.Thread(target=race, args=(n,)) for n in range(racers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        stored = storages[0].list_jobs()
        assert len(stored) == 1
        assert set(answers.values()) == {stored[0].id}
