"""Recurring schedules in the ``schedules`` table (schema version 5).

A row is a schedule's name, its definition as core encodes it (one JSON text) and
the three values firing changes. ``advance_schedule`` is one conditional ``UPDATE``:
SQLite runs it under the write lock, so of the workers that race one moves it.
Core's schedule modules load on first use: opening a queue does not pay for them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from queuectl_core.errors import NoSuchScheduleError
from queuectl_sqlite.connection import rereads_text

if TYPE_CHECKING:
    from queuectl_core.schedules.model import Schedule
    from queuectl_sqlite.connection import Database

_COLUMNS = "name, definition, next_run_at, last_run_at, last_job_id"
Row = tuple[str, str, float | None, float | None, str | None]


class SqliteSchedules:
    """The :class:`~queuectl_core.storage.ScheduleStore` methods of ``SqliteStorage``."""

    _db: Database

    def save_schedule(self, schedule: Schedule) -> bool:
        from queuectl_core.schedules import codec

        with self._db.write() as conn:
            new = (
                conn.execute("SELECT 1 FROM schedules WHERE name = ?", (schedule.name,)).fetchone()
                is None
            )
            conn.execute(
                "INSERT INTO schedules (name, definition, next_run_at, last_run_at, last_job_id) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
                "definition = excluded.definition, next_run_at = excluded.next_run_at",
                (
                    schedule.name,
                    codec.definition(schedule),
                    schedule.next_run_at,
                    schedule.last_run_at,
                    schedule.last_job_id,
                ),
            )
            return new

    @rereads_text
    def get_schedule(self, name: str) -> Schedule:
        with self._db.errors():
            row = (
                self._db.connection()
                .execute(f"SELECT {_COLUMNS} FROM schedules WHERE name = ?", (name,))
                .fetchone()
            )
        if row is None:
            raise NoSuchScheduleError(name)
        return _schedule(row)

    @rereads_text
    def list_schedules(self) -> list[Schedule]:
        with self._db.errors():
            rows = self._db.connection().execute(f"SELECT {_COLUMNS} FROM schedules ORDER BY name")
            return [_schedule(row) for row in rows]

    def remove_schedule(self, name: str) -> bool:
        with self._db.write() as conn:
            return conn.execute("DELETE FROM schedules WHERE name = ?", (name,)).rowcount > 0

    @rereads_text
    def due_schedules(self, now: float, limit: int = 100) -> list[Schedule]:
        with self._db.errors():
            rows = self._db.connection().execute(
                f"SELECT {_COLUMNS} FROM schedules INDEXED BY schedules_due "
                "WHERE next_run_at IS NOT NULL AND next_run_at <= ? "
                "ORDER BY next_run_at, name LIMIT ?",
                (now, max(0, limit)),
            )
            return [_schedule(row) for row in rows]

    def next_schedule_at(self) -> float | None:
        with self._db.errors():
            row = self._db.connection().execute(
                "SELECT min(next_run_at) FROM schedules WHERE next_run_at IS NOT NULL"
            )
            at: float | None = row.fetchone()[0]
            return at

    def advance_schedule(
        self,
        name: str,
        expected: float | None,
        next_run_at: float | None,
        last_run: tuple[float, str] | None = None,
    ) -> bool:
        sql = "UPDATE schedules SET next_run_at = ?"
        params: list[object] = [next_run_at]
        if last_run is not None:
            sql += ", last_run_at = ?, last_job_id = ?"
            params += list(last_run)
        sql += " WHERE name = ? AND next_run_at IS ?"
        params += [name, expected]
        with self._db.write() as conn:
            return conn.execute(sql, params).rowcount > 0


def _schedule(row: Row) -> Schedule:
    from queuectl_core.schedules import codec  # only here: opening a queue stays cheap

    name, definition, next_run_at, last_run_at, last_job_id = row
    return codec.schedule(name, definition, next_run_at, last_run_at, last_job_id)
