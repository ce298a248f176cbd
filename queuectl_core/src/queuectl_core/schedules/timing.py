"""When a schedule fires: its time slots, from a cron expression or an interval.

Cron expressions are cronsim's (five fields, or six with seconds first), evaluated in
the schedule's time zone (zoneinfo) with cronsim's DST rules, which are Debian
cron's: a job at a fixed local time that a spring-forward skips runs once at the
first valid time after it; one that a fall-back repeats runs once (the first time).
Expressions with a ``*`` in the minute or hour field run at every matching instant,
so ``*/30 * * * *`` keeps firing every 30 real minutes across both changes.

``every`` slots are whole multiples of the interval since the Unix epoch (UTC):
``every 10m`` fires at :00, :10, :20...; a day at 00:00 UTC.

A slot is a whole second (a POSIX timestamp).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError

from queuectl_core.schedules.model import Schedule

#: Everything cronsim raises for an expression it cannot read (its own error, or a
#: Python one for input its checks let through).
CRON_ERRORS = (CronSimError, ValueError, IndexError, KeyError, TypeError, OverflowError)


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    """The time zone ``name`` (``Europe/Berlin``); ``ValueError`` if unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError, UnicodeError):
        raise ValueError(f"unknown time zone {name!r}") from None


def check_cron(expression: str) -> None:
    """``ValueError`` (with cronsim's reason, if it gives one) unless cronsim reads
    ``expression``."""
    try:
        CronSim(expression, datetime.now(timezone.utc))
    except CRON_ERRORS as exc:
        raise ValueError(str(exc) if isinstance(exc, CronSimError) else "") from None


def next_after(schedule: Schedule, moment: float) -> float | None:
    """The first slot strictly after ``moment``; ``None`` if it never fires again."""
    if schedule.every is not None:
        return (math.floor(moment / schedule.every) + 1) * schedule.every
    for slot in _forward(schedule, moment):
        return slot
    return None


def latest_slots(schedule: Schedule, first: float, now: float, limit: int) -> list[float]:
    """The slots from ``first`` to ``now`` (both included), the latest ``limit`` of
    them, oldest first; ``first`` is taken to be a slot."""
    if limit < 1 or first > now:
        return []
    every = schedule.every
    if every is not None:
        last = math.floor(now / every) * every
        count = min(limit, math.floor((last - first) / every) + 1)
        return [last - n * every for n in range(count - 1, -1, -1)]
    # Walk back from now to the limit-th slot, then forwards from there: the slots are
    # always those forward iteration gives (it alone decides the next run).
    start = _nth_before(schedule, now, limit)
    found: deque[float] = deque(maxlen=limit)
    if start <= first:
        found.append(first)
        start = first
    else:
        start -= 1  # forward iteration starts after its moment
    for slot in _forward(schedule, start):
        if slot > now:
            break
        found.append(slot)
    return list(found)


def _forward(schedule: Schedule, moment: float) -> Iterator[float]:
    """The slots after ``moment``, in order, each later than the one before."""
    assert schedule.cron is not None
    tz = zone(schedule.timezone)
    start = datetime.fromtimestamp(math.floor(moment), tz)
    last = moment
    for when in CronSim(schedule.cron, start):  # ends after 50 years without a match
        slot = when.timestamp()
        # A fall-back repeats local times: a fixed-time match in the repeated hour can
        # come out before where iteration started. Never go back.
        if slot > last:
            last = slot
            yield slot


def _nth_before(schedule: Schedule, now: float, count: int) -> float:
    """About the ``count``-th slot at or before ``now`` (cronsim's backward iteration;
    the earliest moment if there are fewer)."""
    assert schedule.cron is not None
    start = datetime.fromtimestamp(math.floor(now), timezone.utc) + timedelta(seconds=1)
    found = -math.inf
    try:
        backwards = CronSim(schedule.cron, start.astimezone(zone(schedule.timezone)), reverse=True)
        for number, when in enumerate(backwards, 1):
            found = when.timestamp()
            if number >= count:
                break
    except CRON_ERRORS:
        pass
    return found
