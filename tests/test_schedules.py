"""Recurring schedules: their time slots (DST included), the catch-up and overlap
policies, validation, the stored definition, and firing against a real SQLite queue."""

from __future__ import annotations

import itertools
import logging
import threading
from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from queuectl_core import limits
from queuectl_core.config import Location
from queuectl_core.errors import (
    InvalidJobError,
    InvalidScheduleError,
    NoSuchScheduleError,
    QueuectlError,
    StorageUnavailableError,
    UnknownExecutorError,
)
from queuectl_core.job import State
from queuectl_core.jobspec import build_job
from queuectl_core.queue import Queue
from queuectl_core.schedules import codec, firer, firing, policy, spec, timing
from queuectl_core.schedules.model import CatchUp, Overlap, Schedule
from queuectl_core.storage import Transition
from queuectl_core.testing.contract.base import ended

BERLIN = "Europe/Berlin"
MINUTE = 60.0


def utc(*parts: int) -> float:
    return datetime(*parts, tzinfo=timezone.utc).timestamp()  # type: ignore[misc]


def cron(expression: str, tz: str = "UTC", **fields: Any) -> Schedule:
    return Schedule("s", {"command": "true"}, cron=expression, timezone=tz, **fields)


def every(seconds: float, **fields: Any) -> Schedule:
    return Schedule("s", {"command": "true"}, every=seconds, **fields)


def forward(schedule: Schedule, start: float, end: float) -> list[float]:
    """Every slot after ``start`` up to ``end``, by next_after alone."""
    slots = []
    at = timing.next_after(schedule, start)
    while at is not None and at <= end:
        slots.append(at)
        at = timing.next_after(schedule, at)
    return slots


def local(slots: list[float], tz: str = BERLIN) -> list[str]:
    return [datetime.fromtimestamp(s, timing.zone(tz)).strftime("%m-%d %H:%M%z") for s in slots]


# -- timing ---------------------------------------------------------------------------------


def test_every_fires_at_whole_multiples_since_the_epoch() -> None:
    ten = every(600)
    assert timing.next_after(ten, utc(2025, 1, 1, 12, 0)) == utc(2025, 1, 1, 12, 10)
    assert timing.next_after(ten, utc(2025, 1, 1, 12, 3, 7)) == utc(2025, 1, 1, 12, 10)
    assert timing.next_after(every(1), 100.5) == 101
    now = utc(2025, 1, 1, 12, 31)
    assert timing.latest_slots(ten, utc(2025, 1, 1, 12, 0), now, 100) == [
        utc(2025, 1, 1, 12, m) for m in (0, 10, 20, 30)
    ]
    assert timing.latest_slots(ten, utc(2025, 1, 1, 12, 0), now, 2) == [
        utc(2025, 1, 1, 12, 20),
        utc(2025, 1, 1, 12, 30),
    ]
    assert timing.latest_slots(ten, now + 1, now, 5) == []


def test_a_fixed_local_time_runs_once_on_both_dst_changes_in_berlin() -> None:
    nightly = cron("30 2 * * *", BERLIN)
    # 2025-03-30: 02:00 CET jumps to 03:00 CEST, so 02:30 never happens: run at 03:00
    spring = forward(nightly, utc(2025, 3, 28, 12), utc(2025, 3, 31, 12))
    assert local(spring) == ["03-29 02:30+0100", "03-30 03:00+0200", "03-31 02:30+0200"]
    # 2025-10-26: 03:00 CEST falls back to 02:00 CET, so 02:30 happens twice: run once
    autumn = forward(nightly, utc(2025, 10, 25, 12), utc(2025, 10, 27, 12))
    assert local(autumn) == ["10-26 02:30+0200", "10-27 02:30+0100"]
    # asked from inside the repeated hour (02:10 CET, after the run), nothing repeats
    assert timing.next_after(nightly, utc(2025, 10, 26, 1, 10)) == utc(2025, 10, 27, 1, 30)


def test_an_interval_expression_keeps_real_time_across_dst_changes() -> None:
    half_hourly = cron("*/30 * * * *", BERLIN)
    for day in ((2025, 3, 30), (2025, 10, 26)):
        slots = forward(half_hourly, utc(*day) - 3600, utc(*day) + 6 * 3600)
        assert {b - a for a, b in itertools.pairwise(slots)} == {1800}
    repeated = forward(half_hourly, utc(2025, 10, 25, 23, 45), utc(2025, 10, 26, 1, 45))
    assert local(repeated) == [
        "10-26 02:00+0200", "10-26 02:30+0200", "10-26 02:00+0100", "10-26 02:30+0100",
    ]  # fmt: skip


def test_latest_slots_of_a_cron_are_the_forward_ones_even_on_dst_days() -> None:
    for expression, tz in (
        ("30 2 * * *", BERLIN),
        ("*/20 1-3 * * *", BERLIN),
        ("0 */7 * * 1-5", "America/New_York"),
        ("30 */15 1-4 * * *", "Europe/London"),
    ):
        schedule = cron(expression, tz)
        for start, end in (
            (utc(2025, 3, 28), utc(2025, 4, 2)),
            (utc(2025, 10, 24), utc(2025, 10, 28)),
            (utc(2025, 11, 1), utc(2025, 11, 4)),
        ):
            every_slot = forward(schedule, start, end)[-300:]
            first = every_slot[0]
            for limit in (1, 7, 100, 1000):
                found = timing.latest_slots(schedule, first, end, limit)
                assert found == every_slot[-limit:], (expression, tz, start, limit)


def test_six_fields_fire_by_the_second() -> None:
    assert forward(cron("*/20 * * * * *"), utc(2025, 1, 1), utc(2025, 1, 1, 0, 1)) == [
        utc(2025, 1, 1, 0, 0, s) for s in (20, 40)
    ] + [utc(2025, 1, 1, 0, 1)]


# -- catch-up ---------------------------------------------------------------------------------


def test_catch_up_latest_runs_only_the_latest_missed_slot() -> None:
    first = utc(2025, 1, 1, 12, 0)
    now = first + 10 * MINUTE + 5
    plan = policy.plan(every(MINUTE, next_run_at=first), now)
    assert plan.slots == [first + 10 * MINUTE]
    assert plan.next_run_at == first + 11 * MINUTE
    assert plan.missed
    on_time = policy.plan(every(MINUTE, next_run_at=first), first + 0.2)
    assert (on_time.slots, on_time.missed) == ([first], False)


def test_catch_up_all_runs_each_missed_slot_up_to_the_limit() -> None:
    first = utc(2025, 1, 1, 12, 0)
    plan = policy.plan(every(MINUTE, next_run_at=first, catch_up=CatchUp.ALL), first + 299)
    assert plan.slots == [first + n * MINUTE for n in range(5)]
    assert not plan.missed
    day_later = first + 86400 + 1
    plan = policy.plan(every(MINUTE, next_run_at=first, catch_up=CatchUp.ALL), day_later)
    assert len(plan.slots) == limits.CATCH_UP_RUNS and plan.missed
    assert plan.slots[-1] == first + 86400 and plan.slots[0] == first + 86400 - 99 * MINUTE
    nightly = cron("0 3 * * *", BERLIN, catch_up=CatchUp.ALL)
    nightly = nightly.evolve(next_run_at=timing.next_after(nightly, utc(2025, 3, 1)))
    plan = policy.plan(nightly, utc(2025, 4, 1))
    assert len(plan.slots) == 31
    assert local(plan.slots[:1] + plan.slots[-1:]) == ["03-01 03:00+0100", "03-31 03:00+0200"]


def test_catch_up_none_runs_a_slot_only_on_time() -> None:
    first = utc(2025, 1, 1, 12, 0)
    hourly = every(3600, next_run_at=first, catch_up=CatchUp.NONE)
    assert policy.plan(hourly, first + 1).slots == [first]
    assert policy.plan(hourly, first + limits.MISSED_AFTER).slots == [first]
    late = policy.plan(hourly, first + limits.MISSED_AFTER + 1)
    assert (late.slots, late.next_run_at, late.missed) == ([], first + 3600, True)
    assert policy.plan(hourly, first + 3600 * 5 + 2).slots == [first + 3600 * 5]
    # short intervals: late by more than half of it is missed
    ten = every(10, next_run_at=first, catch_up=CatchUp.NONE)
    assert policy.plan(ten, first + 5).slots == [first]
    assert policy.plan(ten, first + 5.5).slots == []


def test_nothing_runs_before_the_next_slot_or_while_paused() -> None:
    assert policy.plan(every(MINUTE, next_run_at=1200.0), 1199.9).slots == []
    paused = policy.plan(every(MINUTE, next_run_at=None, paused=True), 1e9)
    assert (paused.slots, paused.next_run_at) == ([], None)


# -- overlap ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overlap", "state", "attempts", "refused", "waits"),
    [
        (Overlap.ALLOW, State.PROCESSING, 1, False, False),
        (Overlap.SKIP, State.PROCESSING, 1, True, False),
        (Overlap.SKIP, State.PENDING, 0, True, False),
        (Overlap.SKIP, State.FAILED, 1, True, False),
        (Overlap.SKIP, State.COMPLETED, 1, False, False),
        (Overlap.SKIP, State.DEAD, 4, False, False),
        (Overlap.QUEUE, State.PROCESSING, 1, False, True),
        (Overlap.QUEUE, State.FAILED, 1, False, True),
        (Overlap.QUEUE, State.PENDING, 0, True, False),  # one run waits at most
        (Overlap.QUEUE, State.CANCELLED, 0, False, False),
    ],
)
def test_overlap_with_the_previous_run(
    overlap: Overlap, state: State, attempts: int, refused: bool, waits: bool
) -> None:
    schedule = every(MINUTE, overlap=overlap)
    previous = build_job({"id": "s@1", "command": "sleep 100"}, 0).evolve(
        state=state, attempts=attempts
    )
    assert (policy.overlapping(schedule, [60.0], previous) is not None) is refused
    if not refused:
        assert (policy.waits_for(schedule, previous) == "s@1") is waits
    assert policy.overlapping(schedule, [60.0], None) is None
    assert policy.overlapping(schedule, [], previous) is None


def test_a_slots_job_id_is_its_name_and_utc_time_within_the_id_limit() -> None:
    assert policy.slot_job_id("backup", utc(2025, 3, 30, 1)) == "backup@2025-03-30T01:00:00Z"
    longest = "n" * limits.SCHEDULE_NAME_LENGTH
    for job_id in (policy.slot_job_id(longest, 253402300799.0), policy.manual_job_id(longest)):
        assert build_job({"id": job_id, "command": "true"}, 0).id == job_id
    assert policy.manual_job_id("a") != policy.manual_job_id("a")


# -- validation ---------------------------------------------------------------------------------


def built(name: str = "s", job: Any = None, **fields: Any) -> Schedule:
    return spec.build(name, {"command": "true"} if job is None else job, 1e9, **fields)[0]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"cron": "* * * *"}, "cron: '* * * *' is not a cron expression that ever fires"),
        ({"cron": "61 * * * *"}, "(Bad minute)"),
        ({"cron": "*/0 * * * *"}, "is not a cron expression that ever fires"),
        ({"cron": "1-2-3 * * * *"}, "is not a cron expression that ever fires"),
        ({"cron": "* * * * MON#9"}, "is not a cron expression that ever fires"),
        ({"cron": "0 0 30 2 *"}, "(Bad day-of-month)"),
        ({"cron": "0 0 31 4,6,9,11 *"}, "is not a cron expression that ever fires"),
        ({"cron": "x" * 201}, "at most 200 characters"),
        ({"cron": "* * * * \udcff"}, "cron must be a cron expression"),
        ({"cron": "* * * * *", "timezone": "Mars/Olympus"}, "unknown time zone 'Mars/Olympus'"),
        ({"cron": "* * * * *", "timezone": "../../etc/passwd"}, "unknown time zone"),
        ({"cron": "* * * * *", "timezone": ""}, "unknown time zone"),
        ({"cron": "* * * * *", "timezone": "localtime"}, "is each host's own zone"),
        ({"every": "10m", "timezone": BERLIN}, "timezone applies to a cron expression only"),
        ({"every": "0s"}, "every must be whole seconds and between 1s and 1 year"),
        ({"every": "1.5s"}, "every must be whole seconds"),
        ({"every": "400d"}, "between 1s and 1 year"),
        ({"every": "-5s"}, "every: '-5s' is not a duration"),
        ({"every": -5}, "every: must not be negative"),
        ({"every": "soon"}, "every: 'soon' is not a duration"),
        ({"every": True}, "every must be a duration"),
        ({}, "give either a cron expression or an interval (every)"),
        ({"cron": "* * * * *", "every": "1m"}, "give either"),
        ({"every": "1m", "catch_up": "some"}, "catch_up must be one of none, latest, all"),
        ({"every": "1m", "overlap": "kill"}, "overlap must be one of allow, skip, queue"),
    ],
)
def test_a_bad_timetable_is_a_one_line_error(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidScheduleError) as caught:
        built(**fields)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_a_cron_that_never_fires_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    for never in ("0 0 30 2 *", "0 0 31 4,6,9,11 *"):
        with pytest.raises(InvalidScheduleError, match="ever fires"):
            built(cron=never)
    # cronsim reads the few others, then finds no match in 50 years: the same refusal
    monkeypatch.setattr(timing, "next_after", lambda schedule, moment: None)
    with pytest.raises(InvalidScheduleError, match=r"cron expression '\* \* \* \* \*' never fires"):
        built(cron="* * * * *")


@pytest.mark.parametrize(
    ("name", "job", "message"),
    [
        ("", None, "schedule name must be 1-100"),
        ("-x", None, "schedule name must be"),
        ("a b", None, "schedule name must be"),
        ("a@b", None, "schedule name must be"),
        ("n" * 101, None, "schedule name must be"),
        ("ü", None, "schedule name must be"),
        ("ok", {}, "job: command is required"),
        ("ok", {"command": "x", "id": "fixed"}, "a schedule's job has no id"),
        ("ok", {"command": "x", "delay": "5s", "run_at": "x"}, "has no run_at, delay"),
        ("ok", {"command": "x", "priority": "urgent"}, "job: priority must be"),
        ("ok", {"command": "x", "colour": "red"}, "job: unknown field colour"),
        ("ok", ["command"], "job must be a mapping"),
    ],
)
def test_a_bad_name_or_job_is_a_one_line_error(name: str, job: Any, message: str) -> None:
    with pytest.raises((InvalidScheduleError, InvalidJobError)) as caught:
        built(name, job, every="1m")
    assert message in str(caught.value)


def test_a_valid_schedule_keeps_its_job_as_given_and_its_next_run() -> None:
    schedule = built(
        "nightly.backup:1",
        {"command": "backup ✓", "priority": "high", "timeout": "1h"},
        cron="  30   2 * * * ",
        timezone=BERLIN,
        catch_up="all",
        overlap="queue",
    )
    assert schedule.cron == "30 2 * * *" and schedule.timezone == BERLIN
    assert schedule.job == {"command": "backup ✓", "priority": "high", "timeout": "1h"}
    assert (schedule.catch_up, schedule.overlap) == (CatchUp.ALL, Overlap.QUEUE)
    assert schedule.next_run_at == timing.next_after(schedule, 1e9) and schedule.next_run_at
    assert built(every="1d").every == 86400 and built(every=90).timing == "every 90s"
    assert built(every="2w").timing == "every 2w"
    assert schedule.timing == "30 2 * * * (Europe/Berlin)"


# -- the stored definition ---------------------------------------------------------------------


def test_the_definition_round_trips_and_an_unreadable_one_is_marked() -> None:
    schedule = built("s", {"command": "é", "payload": [1, {"a": None}]}, cron="0 3 * * *")
    text = codec.definition(schedule)
    back = codec.schedule("s", text, schedule.next_run_at, 5.0, "s@x")
    assert back == schedule.evolve(last_run_at=5.0, last_job_id="s@x")
    for broken in ("{", "[]", '{"job": {}}', text.replace('"latest"', '"sometimes"')):
        read = codec.schedule("s", broken, 100.0)
        assert read.unreadable and read.paused and read.next_run_at == 100.0


# -- firing against a real queue -----------------------------------------------------------------


@pytest.fixture
def queue(location: Location) -> Any:
    with Queue.open(location) as opened:
        yield opened


def add(queue: Queue, schedule: Schedule) -> Schedule:
    queue.storage.save_schedule(schedule)
    return schedule


def run_ids(queue: Queue) -> list[str]:
    return sorted(job.id for job in queue.list_jobs(limit=1000))


def test_racing_queues_enqueue_each_slot_once(location: Location) -> None:
    first = utc(2025, 1, 1, 12, 0)
    queues = [Queue.open(location) for _ in range(4)]
    add(queues[0], every(MINUTE, next_run_at=first, catch_up=CatchUp.ALL, overlap=Overlap.ALLOW))
    fired: list[str] = []
    for now in (first + 1, first + 61, first + 185, first + 185.5, first + 240):
        barrier = threading.Barrier(len(queues))

        def fire(queue: Queue, now: float = now, barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            fired.extend(job.id for job in firing.fire_due(queue, now))

        threads = [threading.Thread(target=fire, args=(q,)) for q in queues]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    expected = [policy.slot_job_id("s", first + n * MINUTE) for n in range(5)]
    assert sorted(fired) == expected == run_ids(queues[0])
    for job in queues[0].list_jobs():
        assert job.schedule == "s" and job.command == "true"
    stored = queues[0].schedule("s")
    assert (stored.next_run_at, stored.last_job_id) == (first + 5 * MINUTE, expected[-1])
    for queue in queues:
        queue.close()


def test_a_worker_that_died_after_enqueueing_leaves_the_slot_to_the_next(queue: Queue) -> None:
    first = utc(2025, 1, 1, 12, 0)
    schedule = add(queue, every(MINUTE, next_run_at=first))
    [job] = firing._runs(schedule, [first], first, None)
    queue.store([job])  # ... and died before moving the schedule on
    assert firing.fire_due(queue, first + 2) == []  # the job was there: not a second one
    assert run_ids(queue) == [job.id]
    assert queue.schedule("s").next_run_at == first + MINUTE
    assert queue.schedule("s").last_job_id == job.id


@pytest.mark.parametrize("overlap", [Overlap.SKIP, Overlap.QUEUE])
def test_a_run_enqueued_by_a_worker_that_has_not_moved_the_schedule_on_counts_as_previous(
    queue: Queue, overlap: Overlap
) -> None:
    first = utc(2025, 1, 1, 12, 0)
    schedule = add(queue, every(MINUTE, next_run_at=first, overlap=overlap))
    [job] = firing._runs(schedule, [first], first, None)
    queue.store([job])  # a slow worker enqueued the run of 12:00, not moved the schedule on
    assert queue.storage.claim(request(first)) is not None  # and it runs
    # a minute later another worker finds the schedule due since 12:00 (catch-up latest:
    # the 12:01 run): the 12:00 run is the previous one, still running
    second = firing.fire_due(queue, first + MINUTE)
    if overlap is Overlap.SKIP:
        assert second == []
    else:
        assert [run.after for run in second] == [(job.id,)]
    assert queue.schedule("s").next_run_at == first + 2 * MINUTE


def test_overlap_decides_on_the_previous_runs_job(queue: Queue) -> None:
    first = utc(2025, 1, 1, 12, 0)
    for overlap in Overlap:
        name = f"s-{overlap.value}"
        add(queue, every(MINUTE, next_run_at=first, overlap=overlap).evolve(name=name))
    firing.fire_due(queue, first)
    claims = [queue.storage.claim(request(first)) for _ in Overlap]  # all three run now
    assert all(claims)
    second = firing.fire_due(queue, first + MINUTE)
    assert sorted(job.id for job in second) == [
        "s-allow@2025-01-01T12:01:00Z",
        "s-queue@2025-01-01T12:01:00Z",
    ]
    queued = queue.get("s-queue@2025-01-01T12:01:00Z")
    assert queued.after == ("s-queue@2025-01-01T12:00:00Z",) and queued.after_any
    assert queue.get("s-allow@2025-01-01T12:01:00Z").after == ()
    assert queue.schedule("s-skip").next_run_at == first + 2 * MINUTE  # skipped, moved on
    assert queue.schedule("s-skip").last_job_id == "s-skip@2025-01-01T12:00:00Z"
    # the queued run has not started: the next one of "queue" is skipped, one waits at most
    third = firing.fire_due(queue, first + 2 * MINUTE)
    assert [job.id for job in third] == ["s-allow@2025-01-01T12:02:00Z"]
    for claim in claims:  # the first runs end: "skip" runs again
        assert claim is not None
        queue.storage.finish(claim.job.id, claim.token, Transition(State.COMPLETED, ended()))
    fourth = firing.fire_due(queue, first + 3 * MINUTE)
    assert sorted(job.id for job in fourth) == [
        "s-allow@2025-01-01T12:03:00Z",
        "s-skip@2025-01-01T12:03:00Z",
    ]


def test_of_workers_that_read_the_same_schedule_only_the_one_that_moves_it_on_decides(
    queue: Queue,
) -> None:
    first = utc(2025, 1, 1, 12, 0)
    add(queue, every(MINUTE, next_run_at=first))
    [previous] = firing.fire_due(queue, first)
    claim = queue.storage.claim(request(first))
    assert claim is not None and claim.job.id == previous.id
    seen = queue.schedule("s")  # two workers read it; the previous run is processing
    assert firing.fire(queue, seen, first + MINUTE) == []  # the first skips, moves it on
    queue.storage.finish(claim.job.id, claim.token, Transition(State.COMPLETED, ended()))
    # the second finds the previous run ended, but the slot was decided: it adds nothing
    assert firing.fire(queue, seen, first + MINUTE) == []
    assert queue.schedule("s").last_job_id == previous.id
    assert queue.schedule("s").next_run_at == first + 2 * MINUTE
    assert run_ids(queue) == [previous.id]


def test_with_overlap_allow_a_late_run_is_still_recorded_as_the_last_run(queue: Queue) -> None:
    first = utc(2025, 1, 1, 12, 0)
    add(queue, every(MINUTE, next_run_at=first, overlap=Overlap.ALLOW))
    seen = queue.schedule("s")  # two workers read it
    [run] = firing.fire(queue, seen, first)
    assert firing.fire(queue, seen, first) == []  # the same slot: a duplicate
    assert queue.schedule("s").last_job_id == run.id


def request(now: float) -> Any:
    from queuectl_core.storage import ClaimRequest

    return ClaimRequest("w1", None, now, now + 30)


def test_catch_up_all_with_overlap_queue_runs_one_after_another(queue: Queue) -> None:
    first = utc(2025, 1, 1, 12, 0)
    add(queue, every(MINUTE, next_run_at=first, catch_up=CatchUp.ALL, overlap=Overlap.QUEUE))
    jobs = firing.fire_due(queue, first + 150)
    assert [job.after for job in jobs] == [(), (jobs[0].id,), (jobs[1].id,)]


def test_a_template_no_longer_valid_skips_its_runs_and_moves_on(
    queue: Queue, caplog: pytest.LogCaptureFixture
) -> None:
    first = utc(2025, 1, 1, 12, 0)
    add(queue, every(MINUTE, next_run_at=first).evolve(job={"command": "x", "colour": "red"}))
    with caplog.at_level(logging.ERROR, "queuectl.schedules"):
        assert firing.fire_due(queue, first) == []
    assert "schedule s: runs skipped: schedule s: unknown field colour" in caplog.text
    assert queue.schedule("s").next_run_at == first + MINUTE and run_ids(queue) == []


def test_an_unreadable_schedule_stops_and_cannot_run(queue: Queue) -> None:
    conn = queue.storage._db.connection()  # type: ignore[attr-defined]
    conn.execute("INSERT INTO schedules VALUES ('bad', '{', 100.0, NULL, NULL)")
    assert firing.fire_due(queue, 200.0) == []
    assert queue.schedule("bad").next_run_at is None and queue.schedule("bad").unreadable
    with pytest.raises(InvalidScheduleError, match="cannot be read"):
        queue.run_schedule("bad")
    queue.add_schedule("bad", {"command": "true"}, every="1m")  # a new definition mends it
    assert not queue.schedule("bad").unreadable and queue.schedule("bad").next_run_at


def test_run_enqueues_one_job_now_and_it_becomes_the_last_run(queue: Queue) -> None:
    queue.add_schedule("s", {"command": "echo now", "queue": "q"}, every="1h")
    paused = queue.pause_schedule("s")
    job = queue.run_schedule("s")
    assert job.id.startswith("s@run-") and job.schedule == "s" and job.queue == "q"
    assert queue.get(job.id).state is State.PENDING
    stored = queue.schedule("s")
    assert stored.last_job_id == job.id and stored.paused and stored.next_run_at is None
    assert stored == paused.evolve(last_run_at=stored.last_run_at, last_job_id=job.id)
    with pytest.raises(NoSuchScheduleError, match="no schedule named 'gone'"):
        queue.run_schedule("gone")


def test_add_updates_in_place_and_pause_and_resume(queue: Queue) -> None:
    first = queue.add_schedule("s", {"command": "a"}, every="1h")
    queue.storage.advance_schedule("s", first.next_run_at, first.next_run_at, (1.0, "s@x"))
    updated = queue.add_schedule("s", {"command": "b"}, cron="*/5 * * * *", overlap="allow")
    assert updated.created_at == first.created_at and updated.last_job_id == "s@x"
    assert queue.schedule("s") == updated and updated.job == {"command": "b"}
    assert updated.next_run_at is not None and updated.next_run_at % 300 == 0
    assert queue.pause_schedule("s").next_run_at is None
    still = queue.add_schedule("s", {"command": "c"}, every="1m")
    assert still.paused and still.next_run_at is None and queue.schedule("s") == still
    resumed = queue.resume_schedule("s")
    assert not resumed.paused and resumed.next_run_at is not None
    assert resumed.next_run_at % 60 == 0 and queue.schedule("s") == resumed
    assert queue.resume_schedule("s") == resumed  # not paused: unchanged
    queue.remove_schedule("s")
    with pytest.raises(NoSuchScheduleError):
        queue.remove_schedule("s")
    assert queue.schedules() == []


def test_bad_input_stores_nothing(queue: Queue) -> None:
    queue.add_schedule("keep", {"command": "a"}, every="1h")
    before = queue.schedules()
    for name, job, fields in [
        ("keep", {"command": "b"}, {"cron": "nope"}),
        ("keep", {"command": "b", "type": "no-such-handler"}, {"every": "1h"}),
        ("new", {"command": "b"}, {"every": "1h", "timezone": "UTC"}),
        ("new", {}, {"every": "1h"}),
    ]:
        with pytest.raises(QueuectlError) as caught:
            queue.add_schedule(name, job, **fields)
        if job.get("type"):
            assert isinstance(caught.value, UnknownExecutorError)
    assert queue.schedules() == before


def test_the_firer_waits_until_the_next_run_and_survives_storage_errors(
    queue: Queue, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticking = firer.Firer(queue)
    assert ticking.tick() == firer.LOOK_EVERY  # no schedule
    slot = datetime.now(timezone.utc).timestamp() // 3600 * 3600
    add(queue, every(3600, next_run_at=slot))
    assert 0 < ticking.tick() <= firer.LOOK_EVERY
    [job] = queue.list_jobs()
    assert job.id == policy.slot_job_id("s", slot)

    def down() -> float:
        raise StorageUnavailableError("database is locked")

    monkeypatch.setattr(queue.storage, "next_schedule_at", down)
    with caplog.at_level(logging.INFO, "queuectl.schedules"):
        assert ticking.tick() == ticking.tick() == firer.LOOK_EVERY
        monkeypatch.undo()
        ticking.tick()
    assert caplog.text.count("firing schedules failed: database is locked") == 1
    assert "firing schedules works again" in caplog.text


awkward = st.one_of(
    st.sampled_from(["", " ", "*", "L", "LW", "#", "/", "-", "1-", "*/", "\x00", "\ud800",
                     "../x", "UTC", "Etc/GMT+14", "60", "1e300", "nan", "-1", "🚀", "MON#0"]),
    st.text(st.characters(exclude_categories=()), max_size=12),
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    fields=st.lists(awkward, min_size=5, max_size=7).map(" ".join),
    zone=st.one_of(st.none(), awkward),
    interval=st.one_of(st.none(), awkward, st.floats(), st.integers()),
    name=awkward,
)
def test_any_input_is_a_schedule_or_a_one_line_error(
    fields: str, zone: str | None, interval: Any, name: str
) -> None:
    for timetable in ({"cron": fields, "timezone": zone}, {"every": interval}):
        try:
            schedule = built(name, **timetable)
        except QueuectlError as exc:
            assert "\n" not in str(exc) and str(exc)
        else:
            assert schedule.next_run_at is not None and schedule.next_run_at > 1e9
            codec.schedule(schedule.name, codec.definition(schedule), schedule.next_run_at)
