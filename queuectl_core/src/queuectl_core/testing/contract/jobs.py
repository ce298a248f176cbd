"""The contract of storing jobs, ``JobStore``: enqueue, get, list, counts, next_due, round-trips."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from queuectl_core.errors import DuplicateJobError, NoSuchJobError
from queuectl_core.job import State
from queuectl_core.queue import Queue
from queuectl_core.storage import Storage
from queuectl_core.testing.contract.base import (
    LATER,
    T0,
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
)
from queuectl_core.testing.factory import JobFactory


class JobsContract(ContractFixtures):
    """Checks :class:`~queuectl_core.storage.JobStore`: jobs go in, come back
    unchanged, and are listed and counted exactly."""

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
            {"expires_at": T0 + 600.5, "unique_key": "report:2026-12-03 ✓", "schedule": "nightly"},
            {"after": ("x1", "x2"), "after_any": True},
            {"cwd": "/tmp/ü dir", "env": {"TOKEN": "s3cret ü", "EMPTY": ""}},
            {"backoff_jitter": False, "retry_on_exit": (75, 111), "no_retry_exit": ()},
            {"backoff_jitter": True, "retry_on_exit": (), "no_retry_exit": (2, 64, 127)},
        ],
        ids=lambda fields: ",".join(fields) or "defaults",
    )
    def test_every_job_field_round_trips(
        self, open_storage: Callable[[], Storage], job: JobFactory, fields: dict[str, Any]
    ) -> None:
        stored = job("a" * 150 + ".b_c:d@e+f-9", **fields)
        writer, reader = open_storage(), open_storage()
        writer.enqueue([job(job_id, created_at=T0 - 1) for job_id in stored.after])
        writer.enqueue([stored])
        assert writer.get(stored.id) == stored
        assert reader.get(stored.id) == stored
        assert reader.list_jobs(limit=1) == [stored]
        assert reader.attempts(stored.id) == []

    def test_enqueue_stores_a_batch(self, storage: Storage, job: JobFactory) -> None:
        batch = [job("a"), job("b", queue="other"), job("c", priority=3)]
        storage.enqueue(batch)
        assert [storage.get(item.id) for item in batch] == batch

    @pytest.mark.parametrize("batch", [["fresh", "old"], ["new", "other", "new"]])
    def test_a_duplicate_id_rejects_the_whole_batch(
        self, storage: Storage, job: JobFactory, batch: list[str]
    ) -> None:
        """An id stored already is the backend's to refuse; an id twice in one batch
        is refused by core (``Queue.store``) before the backend sees it."""
        old = job("old", command="echo original")
        storage.enqueue([old])
        duplicate = "old" if "old" in batch else "new"
        with pytest.raises(DuplicateJobError) as caught:
            Queue(storage).store([job(job_id, command="echo changed") for job_id in batch])
        assert caught.value.job_id == duplicate
        assert storage.list_jobs() == [old]
        assert storage.counts() == {("default", P): 1}

    @pytest.mark.parametrize("method", ["get", "attempts"])
    def test_unknown_job_raises(self, storage: Storage, job: JobFactory, method: str) -> None:
        storage.enqueue([job("known")])
        with pytest.raises(NoSuchJobError) as caught:
            getattr(storage, method)("unknown")
        assert caught.value.job_id == "unknown"

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
