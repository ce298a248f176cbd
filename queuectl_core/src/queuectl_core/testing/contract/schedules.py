"""The contract of recurring schedules: :class:`~queuectl_core.storage.ScheduleStore`."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from queuectl_core.errors import NoSuchScheduleError
from queuectl_core.schedules.model import CatchUp, Overlap, Schedule
from queuectl_core.storage import ScheduleStore
from queuectl_core.testing.contract.base import T0, ContractFixtures


def schedule(name: str, next_run_at: float | None = T0 + 60, **fields: Any) -> Schedule:
    """A schedule every 60 s of a shell job, next due at ``next_run_at``."""
    defaults: dict[str, Any] = {
        "job": {"command": f"echo {name}"},
        "every": 60.0,
        "created_at": T0,
        "updated_at": T0,
    }
    return Schedule(name=name, next_run_at=next_run_at, **{**defaults, **fields})


class SchedulesContract(ContractFixtures):
    """Checks :class:`~queuectl_core.storage.ScheduleStore`: schedules saved, replaced,
    listed and removed for every instance; the due ones found earliest first; and the
    compare-and-set that moves one forward, which exactly one of racing callers wins."""

    def test_a_schedule_is_saved_whole_and_read_by_every_instance(
        self, open_storage: Callable[[], ScheduleStore]
    ) -> None:
        storage, other = open_storage(), open_storage()
        with pytest.raises(NoSuchScheduleError):
            storage.get_schedule("backup")
        backup = schedule(
            "backup",
            job={
                "command": "tar czf /tmp/b.tgz ~ # ✓",
                "queue": "nightly",
                "priority": "high",
                "payload": {"nested": [1, "ü", None]},
                "timeout": "5m",
            },
            cron="30 2 * * *",
            every=None,
            timezone="Europe/Berlin",
            catch_up=CatchUp.ALL,
            overlap=Overlap.QUEUE,
            updated_at=T0 + 1.5,
            last_run_at=T0 - 60,
            last_job_id="backup@2023-11-14T22:12:20Z",
        )
        assert storage.save_schedule(backup) is True
        assert other.get_schedule("backup") == backup
        assert other.list_schedules() == [backup]
        paused = schedule("paused", None, paused=True)
        assert other.save_schedule(paused) is True
        assert storage.get_schedule("paused") == paused

    def test_saving_a_known_name_replaces_it_but_keeps_its_last_run(
        self, storage: ScheduleStore
    ) -> None:
        assert storage.save_schedule(schedule("s", last_run_at=T0, last_job_id="s@1"))
        changed = schedule("s", T0 + 120, every=120.0, overlap=Overlap.ALLOW)
        assert storage.save_schedule(changed) is False
        assert storage.get_schedule("s") == changed.evolve(last_run_at=T0, last_job_id="s@1")
        assert storage.list_schedules() == [storage.get_schedule("s")]

    def test_schedules_are_listed_by_name_and_removed(self, storage: ScheduleStore) -> None:
        assert storage.list_schedules() == []
        for name in ("b", "a.2", "c:x", "a-1"):
            storage.save_schedule(schedule(name))
        assert [s.name for s in storage.list_schedules()] == ["a-1", "a.2", "b", "c:x"]
        assert storage.remove_schedule("b") is True
        assert storage.remove_schedule("b") is False
        assert storage.remove_schedule("never") is False
        assert [s.name for s in storage.list_schedules()] == ["a-1", "a.2", "c:x"]
        with pytest.raises(NoSuchScheduleError):
            storage.get_schedule("b")
        assert storage.due_schedules(T0 + 10_000) == storage.list_schedules()

    def test_due_schedules_are_those_at_or_before_now_earliest_first(
        self, storage: ScheduleStore
    ) -> None:
        assert storage.due_schedules(T0) == []
        assert storage.next_schedule_at() is None
        for name, at in (("late", T0 + 5), ("early", T0 - 5), ("now", T0), ("future", T0 + 1)):
            storage.save_schedule(schedule(name, at))
        storage.save_schedule(schedule("paused", None, paused=True))
        assert storage.next_schedule_at() == T0 - 5
        assert [s.name for s in storage.due_schedules(T0)] == ["early", "now"]
        assert [s.name for s in storage.due_schedules(T0 + 5)] == ["early", "now", "future", "late"]
        assert [s.name for s in storage.due_schedules(T0 + 5, limit=2)] == ["early", "now"]
        assert storage.due_schedules(T0 + 5, limit=0) == []
        storage.remove_schedule("early")
        assert storage.next_schedule_at() == T0
        storage.save_schedule(schedule("now", None, paused=True))
        assert storage.next_schedule_at() == T0 + 1
        assert [s.name for s in storage.due_schedules(T0 + 1e9)] == ["future", "late"]

    def test_advancing_compares_next_run_at_and_sets_the_last_run(
        self, open_storage: Callable[[], ScheduleStore]
    ) -> None:
        storage, other = open_storage(), open_storage()
        storage.save_schedule(schedule("s", T0))
        assert not other.advance_schedule("s", T0 - 60, T0 + 60, (T0, "s@0"))
        assert not other.advance_schedule("unknown", T0, T0 + 60)
        assert storage.get_schedule("s") == schedule("s", T0)
        assert other.advance_schedule("s", T0, T0 + 60, (T0, "s@0"))
        assert storage.get_schedule("s") == schedule(
            "s", T0 + 60, last_run_at=T0, last_job_id="s@0"
        )
        assert storage.due_schedules(T0 + 59) == []
        assert storage.next_schedule_at() == T0 + 60
        assert not other.advance_schedule("s", T0, T0 + 120)  # already moved
        assert other.advance_schedule("s", T0 + 60, T0 + 120)  # the last run stays
        assert storage.get_schedule("s").last_job_id == "s@0"
        assert storage.advance_schedule("s", T0 + 120, None, (T0 + 130, "s@run-1"))
        assert storage.next_schedule_at() is None and storage.due_schedules(T0 + 1e9) == []
        assert storage.advance_schedule("s", None, None, (T0 + 140, "s@run-2"))
        assert not storage.advance_schedule("s", T0 + 120, T0 + 180)
        assert other.get_schedule("s").last_job_id == "s@run-2"

    def test_of_racing_advances_exactly_one_wins(
        self, open_storage: Callable[[], ScheduleStore]
    ) -> None:
        instances = [open_storage() for _ in range(4)]
        instances[0].save_schedule(schedule("race", T0))
        won: list[int] = []
        barrier = threading.Barrier(len(instances))

        def fire(number: int, storage: ScheduleStore) -> None:
            barrier.wait()
            if storage.advance_schedule("race", T0, T0 + 60 + number, (T0, f"race@{number}")):
                won.append(number)

        threads = [threading.Thread(target=fire, args=item) for item in enumerate(instances)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(won) == 1
        stored = instances[1].get_schedule("race")
        assert (stored.next_run_at, stored.last_job_id) == (T0 + 60 + won[0], f"race@{won[0]}")
