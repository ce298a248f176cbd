"""A schedule's definition as one JSON text, which every backend stores as it is.

Backends keep a schedule as its name, this text, and the three values firing
changes (``next_run_at``, ``last_run_at``, ``last_job_id``) beside it, so that
:meth:`~queuectl_core.storage.ScheduleStore.advance_schedule` compares and sets
those alone; a new field of the definition needs no change in any backend. A text
queuectl cannot read gives a schedule marked ``unreadable``, never an error.
"""

from __future__ import annotations

import json
from typing import Any

from queuectl_core import stored
from queuectl_core.schedules.model import CatchUp, Overlap, Schedule


def definition(schedule: Schedule) -> str:
    """Everything of ``schedule`` but its name and the values firing changes, as JSON."""
    return json.dumps(
        {
            "job": schedule.job,
            "cron": schedule.cron,
            "every": schedule.every,
            "timezone": schedule.timezone,
            "catch_up": schedule.catch_up.value,
            "overlap": schedule.overlap.value,
            "paused": schedule.paused,
            "created_at": schedule.created_at,
            "updated_at": schedule.updated_at,
        },
        separators=(",", ":"),
        ensure_ascii=False,
    )


def schedule(
    name: str,
    text: str,
    next_run_at: float | None,
    last_run_at: float | None = None,
    last_job_id: str | None = None,
) -> Schedule:
    """The schedule stored as ``name``, its :func:`definition` ``text`` and the rest."""
    fired = Schedule(
        name=name, next_run_at=next_run_at, last_run_at=last_run_at, last_job_id=last_job_id
    )
    data = stored.json_value(text)
    try:
        if not isinstance(data, dict):
            raise TypeError
        return fired.evolve(
            job=_typed(data["job"], dict),
            cron=_typed(data["cron"], str, None),
            every=_number(data["every"]),
            timezone=_typed(data["timezone"], str),
            catch_up=CatchUp(data["catch_up"]),
            overlap=Overlap(data["overlap"]),
            paused=_typed(data["paused"], bool),
            created_at=_number(data["created_at"]) or 0.0,
            updated_at=_number(data["updated_at"]) or 0.0,
        )
    except (KeyError, TypeError, ValueError):
        return fired.evolve(unreadable=True, paused=True)


def _typed(value: Any, kind: type, *also: None) -> Any:
    if isinstance(value, kind) or (value is None and also):
        return value
    raise TypeError


def _number(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError
    return float(value)
