"""Turning what a person wrote into a valid :class:`Schedule`, or a one-line error.

Every check happens before anything is stored: a bad name, a cron expression
cronsim cannot read or that never fires, an unknown time zone, an ``every`` out of
range and a job template ``enqueue`` would refuse are each an error naming the field.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from queuectl_core import limits
from queuectl_core.errors import InvalidScheduleError
from queuectl_core.job import Job
from queuectl_core.limits import shown
from queuectl_core.schedules import timing
from queuectl_core.schedules.model import CatchUp, Overlap, Schedule
from queuectl_core.units import parse_duration

_NAME = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._:-]{{0,{limits.SCHEDULE_NAME_LENGTH - 1}}}")
#: Job fields a template may not have: each run's id is made from its slot, and it
#: runs when the slot comes.
NOT_IN_TEMPLATE = ("id", "run_at", "delay", "expires_at")
#: Names in the time zone database that mean whatever zone the reading host is set to.
HOST_ZONES = frozenset(("localtime", "posixrules"))


def check_name(name: object) -> str:
    """``name`` if it is a valid schedule name; else ``InvalidScheduleError``."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InvalidScheduleError(
            f"schedule name must be 1-{limits.SCHEDULE_NAME_LENGTH} {limits.QUEUE_CHARACTERS} "
            f"(starting with a letter or digit), got {shown(name)}"
        )
    return name


def build(
    name: str,
    job: Mapping[str, Any],
    now: float,
    *,
    cron: str | None = None,
    every: str | float | None = None,
    timezone: str | None = None,
    catch_up: str | CatchUp | None = None,
    overlap: str | Overlap | None = None,
) -> tuple[Schedule, Job]:
    """A new schedule, its next run computed from ``now``, and a job of its template
    (for checks that need the plugins, such as whether its type exists)."""
    name = check_name(name)
    if (cron is None) == (every is None):
        raise InvalidScheduleError("give either a cron expression or an interval (every)")
    schedule = Schedule(
        name=name,
        cron=_cron(cron),
        every=_every(every),
        timezone=_timezone(timezone, cron),
        catch_up=_choice(CatchUp, "catch_up", catch_up, CatchUp.LATEST),
        overlap=_choice(Overlap, "overlap", overlap, Overlap.SKIP),
        created_at=now,
        updated_at=now,
    )
    template, example = _template(job, now)
    next_run_at = timing.next_after(schedule, now)
    if next_run_at is None:
        raise InvalidScheduleError(f"cron expression {schedule.cron!r} never fires")
    return schedule.evolve(job=template, next_run_at=next_run_at), example


def _cron(expression: str | None) -> str | None:
    if expression is None:
        return None
    if not isinstance(expression, str) or not limits.is_unicode(expression):
        raise InvalidScheduleError(f"cron must be a cron expression, got {shown(expression)}")
    text = " ".join(expression.split())
    if len(text) > limits.CRON_LENGTH:
        raise InvalidScheduleError(f"cron must be at most {limits.CRON_LENGTH} characters")
    try:
        timing.check_cron(text)
    except ValueError as exc:
        why = f" ({exc})" if str(exc) else ""
        raise InvalidScheduleError(
            f"cron: {shown(text)} is not a cron expression that ever fires{why}; expected "
            "5 fields (minute hour day month weekday), or 6 with seconds first, "
            "such as '*/5 * * * *'"
        ) from None
    return text


def _every(value: str | float | None) -> float | None:
    if value is None:
        return None
    bounds = limits.duration_range(limits.SCHEDULE_EVERY)
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise InvalidScheduleError(f"every must be a duration such as 10m, got {shown(value)}")
    try:
        seconds = parse_duration(value)
    except ValueError as exc:
        raise InvalidScheduleError(f"every: {exc}; it {bounds}") from None
    if not limits.within(seconds, limits.SCHEDULE_EVERY) or seconds != math.floor(seconds):
        raise InvalidScheduleError(
            f"every must be whole seconds and {bounds.removeprefix('must be ')}, got {shown(value)}"
        )
    return seconds


def _timezone(name: str | None, cron: str | None) -> str:
    if name is None:
        return "UTC"
    if cron is None:
        raise InvalidScheduleError("timezone applies to a cron expression only, not to every")
    if not isinstance(name, str):
        raise InvalidScheduleError(
            f"timezone must be a name such as Europe/Berlin, got {shown(name)}"
        )
    if name in HOST_ZONES:
        raise InvalidScheduleError(
            f"timezone {name!r} is each host's own zone: give its name (such as "
            "Europe/Berlin), which every worker reads alike"
        )
    try:
        timing.zone(name)
    except ValueError as exc:
        raise InvalidScheduleError(f"timezone: {exc} (a name such as Europe/Berlin)") from None
    return name


def _choice(kind: type[Any], field: str, value: Any, default: Any) -> Any:
    if value is None:
        return default
    try:
        return kind(value)
    except ValueError:
        names = ", ".join(member.value for member in kind)
        raise InvalidScheduleError(f"{field} must be one of {names}, got {shown(value)}") from None


def _template(job: Mapping[str, Any], now: float) -> tuple[dict[str, Any], Job]:
    """The job template as given, validated by the rules of ``enqueue``."""
    from queuectl_core.jobspec import build_job  # loads the executors: only when needed

    if not isinstance(job, Mapping):
        raise InvalidScheduleError(f"job must be a mapping of job fields, got {shown(job)}")
    refused = [name for name in NOT_IN_TEMPLATE if name in job]
    if refused:
        raise InvalidScheduleError(
            f"job: a schedule's job has no {', '.join(refused)} (each run gets its own id "
            "and runs when its time comes)"
        )
    template = dict(job)
    example = build_job(template, now, "job")
    try:
        json.dumps(template, allow_nan=False)
    except (TypeError, ValueError):
        raise InvalidScheduleError("job: the template's values must be JSON") from None
    return template, example
