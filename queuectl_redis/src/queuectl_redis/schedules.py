"""Recurring schedules in Redis: a hash per schedule, a set of their names, and a
sorted set of the unpaused ones by next run time, all under the namespace's hash tag.

Every change is one Lua script (``lua/*_schedule.lua``), so ``advance_schedule``'s
compare-and-set is atomic on a server and on a cluster; reading one schedule and the
earliest next run are single-key commands. Core's schedule modules load on first use.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from queuectl_core.errors import NoSuchScheduleError
from queuectl_redis.codec import pairs
from queuectl_redis.connection import errors
from queuectl_redis.keys import Keys

if TYPE_CHECKING:
    from queuectl_core.schedules.model import Schedule


class RedisSchedules:
    """The :class:`~queuectl_core.storage.ScheduleStore` methods of ``RedisStorage``."""

    client: Any
    keys: Keys
    location: str

    if TYPE_CHECKING:  # RedisStorage's: runs a script of lua/

        def _run(self, name: str, *args: str | bytes | int | float) -> Any: ...

    def save_schedule(self, schedule: Schedule) -> bool:
        from queuectl_core.schedules import codec

        record = {
            "name": schedule.name,
            "definition": codec.definition(schedule),
            "now": repr(time.time()),
            **_times(next_run_at=schedule.next_run_at, last_run_at=schedule.last_run_at),
        }
        if schedule.last_job_id is not None:
            record["last_job_id"] = schedule.last_job_id
        return bool(self._run("save_schedule", _json(record)))

    def get_schedule(self, name: str) -> Schedule:
        with errors(self.location):
            fields = self.client.hgetall(self.keys.schedule(name))
        if not fields:
            raise NoSuchScheduleError(name)
        return _schedule(name, fields)

    def list_schedules(self) -> list[Schedule]:
        return sorted(_found(self._run("list_schedules")), key=lambda s: s.name)

    def remove_schedule(self, name: str) -> bool:
        return bool(self._run("remove_schedule", name))

    def due_schedules(self, now: float, limit: int = 100) -> list[Schedule]:
        if limit < 1:
            return []
        return _found(self._run("due_schedules", repr(float(now)), limit))

    def next_schedule_at(self) -> float | None:
        with errors(self.location):
            first = self.client.zrange(self.keys.schedules_due, 0, 0, withscores=True)
        return float(first[0][1]) if first else None

    def advance_schedule(
        self,
        name: str,
        expected: float | None,
        next_run_at: float | None,
        last_run: tuple[float, str] | None = None,
    ) -> bool:
        record: dict[str, Any] = {
            "name": name,
            **_times(expected=expected, next_run_at=next_run_at),
        }
        if last_run is not None:
            record.update(_times(last_run_at=last_run[0]), last_job_id=last_run[1])
        return bool(self._run("advance_schedule", _json(record)))


def _times(**times: float | None) -> dict[str, str]:
    """The given times as the text the hash keeps (``repr``), leaving out ``None``s."""
    return {name: repr(float(at)) for name, at in times.items() if at is not None}


def _json(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def _found(flat: Sequence[Any]) -> list[Schedule]:
    """Schedules from a script's answer: each a name, then its field/value list."""
    return [
        _schedule(name.decode(), pairs(fields))
        for name, fields in zip(flat[::2], flat[1::2], strict=True)
    ]


def _schedule(name: str, fields: dict[bytes, bytes]) -> Schedule:
    from queuectl_core.schedules import codec  # only here: opening a queue stays cheap

    def number(field: bytes) -> float | None:
        value = fields.get(field)
        return None if value is None else float(value)

    last_job_id = fields.get(b"last_job_id")
    return codec.schedule(
        name,
        fields.get(b"definition", b"").decode("utf-8", "replace"),
        number(b"next_run_at"),
        number(b"last_run_at"),
        None if last_job_id is None else last_job_id.decode("utf-8", "replace"),
    )
