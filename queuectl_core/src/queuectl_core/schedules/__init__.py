"""Recurring schedules: job templates enqueued on a timetable by every running worker.

- :mod:`.model`: :class:`Schedule`, :class:`CatchUp`, :class:`Overlap`;
- :mod:`.spec`: validating what a person wrote into a ``Schedule``;
- :mod:`.timing`: its time slots, from a cron expression (cronsim, zoneinfo) or an interval;
- :mod:`.policy`: which slots run when it is due (catch-up, overlap) and their job ids;
- :mod:`.firing`: enqueueing the due runs, once per slot however many workers race;
- :mod:`.codec`: the definition as the one text backends store.

Backends keep schedules through :class:`~queuectl_core.storage.ScheduleStore`.
"""

from __future__ import annotations

from queuectl_core.schedules.model import CatchUp, Overlap, Schedule

__all__ = ["CatchUp", "Overlap", "Schedule"]
