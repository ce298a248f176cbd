"""Recurring schedules: job templates enqueued on a timetable by every running worker.

- :mod:`.model`: :class:`Schedule`, :class:`CatchUp`, :class:`Overlap`;
- :mod:`.spec`: validating what a person wrote into a ``Schedule``;
- :mod:`.timing`: its time slots, from a cron expression (cronsim, zoneinfo) or an interval;
- :mod:`.policy`: which slots run when it is due (catch-up, overlap) and their job ids;
- :mod:`.firing`: enqueueing the due runs, once per slot however many workers race;
- :mod:`.firer`: a worker's share of firing, called by its heartbeat thread;
- :mod:`.codec`: the definition as the one text backends store.

Backends keep schedules through :class:`~queuectl_core.storage.ScheduleStore`. The
model's names load on first use (``from queuectl_core.schedules import Schedule``),
so that a worker without schedules loads none of this but :mod:`.firer`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from queuectl_core.schedules.model import CatchUp, Overlap, Schedule

__all__ = ["CatchUp", "Overlap", "Schedule"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from queuectl_core.schedules import model

        return getattr(model, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
