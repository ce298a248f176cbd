"""Reading jobs back whatever their stored values hold.

A row written by an older version, by hand or by a broken disk may hold what
queuectl never stores: a time in the year 0 or 10**20, text that is not UTF-8, a
payload that is not JSON, a word where a number belongs. Backends read every job
through :func:`text`, :func:`json_value` and :func:`readable`: a value that cannot
be read is replaced by a placeholder and its field named in ``Job.unreadable``.
So ``list``, ``show`` and ``status`` never fail because of one row, and a worker
that claims a job it cannot run (:func:`cannot_run`) fails it at once, with the
fields named, sends it to the dead letter queue and goes on (see
:func:`queuectl_core.retry.decide`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import replace
from typing import Any, cast

from queuectl_core import limits
from queuectl_core.job import Attempt, Job, Outcome, State

#: Any whole number a backend stores (SQLite: 64 bits); enqueue takes less
#: (:mod:`queuectl_core.limits`), older versions or other programs may have stored more.
STORED_INT = (-(2**63), 2**63 - 1)
#: What an unreadable time reads as (shown as ``-``).
PLACEHOLDER_TIME = 0.0
#: What a state queuectl does not know reads as, and what such a job counts as when a
#: person acts on it by id: ``dlq retry ID`` and ``dlq purge ID`` take it like a dead
#: job, ``cancel ID`` refuses it like one; no worker takes it (see :func:`acts_as`).
PLACEHOLDER_STATE = State.DEAD
#: The states queuectl writes, as stored.
KNOWN_STATES = frozenset(state.value for state in State)


class NotUtf8(str):
    """Stored text that was not UTF-8: its bytes decoded with U+FFFD for the bad ones.

    ``raw`` keeps the stored bytes, so that a backend can address the row again (a job
    whose id is not UTF-8 is still failed, retried or purged by that id).
    """

    raw: bytes

    def __new__(cls, raw: bytes) -> NotUtf8:
        marked = super().__new__(cls, raw.decode("utf-8", "replace"))
        marked.raw = raw
        return marked


def raw(value: str) -> str | bytes:
    """``value`` as stored: the bytes of a :class:`NotUtf8`, else the text itself."""
    return value.raw if isinstance(value, NotUtf8) else value


class NotJson(str):
    """A stored JSON value that does not parse: its raw text."""


def text(data: bytes) -> str:
    """Stored bytes as text; not UTF-8: a :class:`NotUtf8` (SQLite's ``text_factory``)."""
    try:
        return data.decode()
    except UnicodeDecodeError:
        return NotUtf8(data)


def json_value(raw: str | None) -> Any:
    """A stored JSON value (``None``: none); one that does not parse: a :class:`NotJson`."""
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        return NotJson(raw)


def state(value: Any) -> State:
    """A stored state; one queuectl does not know stays as it is, for :func:`readable`."""
    try:
        return State(value)
    except ValueError:
        return cast(State, value)


def acts_as(value: str) -> State:
    """The state a job stored in state ``value`` counts as when a person acts on it:
    its own, or :data:`PLACEHOLDER_STATE` for one queuectl does not know."""
    try:
        return State(value)
    except ValueError:
        return PLACEHOLDER_STATE


def outcome(value: Any) -> Outcome:
    """A stored outcome; one queuectl does not know stays as it is, for :func:`readable_attempt`."""
    try:
        return Outcome(value)
    except ValueError:
        return cast(Outcome, value)


def output(value: Any) -> bytes:
    """Stored captured output: bytes, whatever type the row holds."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "replace")
    return b"" if value is None else str(value).encode()


def _as_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value  # a NotUtf8 stays one: its bytes address the row
    if isinstance(value, bytes):
        return str(text(value))
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, bytes):
        value = text(value)
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _as_int(value: Any, low: int, high: int) -> int | None:
    number = _as_number(value)
    if number is None or not number.is_integer() or not low <= number <= high:
        return None
    return int(number)


def _as_time(value: Any) -> float | None:
    number = _as_number(value)
    return number if number is not None and limits.within(number, limits.STORED_TIME) else None


def _as_timeout(value: Any) -> float | None:
    number = _as_number(value)
    return number if number is not None and number > 0 else None


#: How each field is read when the fast check in :func:`readable` fails: a function
#: giving the value or ``None`` (unreadable), the placeholder, whether ``None`` is a value.
_FIELDS: dict[str, tuple[Callable[[Any], Any], Any, bool]] = {
    "id": (_as_text, "?", False),
    "command": (_as_text, "", False),
    "type": (_as_text, "?", False),
    "queue": (_as_text, "?", False),
    "priority": (lambda value: _as_int(value, *STORED_INT), 0, False),
    "max_retries": (lambda value: _as_int(value, 0, 2**62), None, True),
    "timeout": (_as_timeout, None, True),
    "attempts": (lambda value: _as_int(value, 0, 2**62), 0, False),
    "created_at": (_as_time, PLACEHOLDER_TIME, False),
    "updated_at": (_as_time, PLACEHOLDER_TIME, False),
    "next_run_at": (_as_time, PLACEHOLDER_TIME, False),
    "worker_id": (_as_text, None, True),
    "lease_expires_at": (_as_time, None, True),
    "last_error": (_as_text, None, True),
}


def readable(job: Job) -> Job:
    """``job`` if every value is one queuectl can use; else a copy with each value it
    cannot replaced (text that was not UTF-8 keeps its readable part, JSON that does
    not parse its raw text) and those fields named in ``unreadable``."""
    if (
        type(job.command) is str
        and type(job.priority) is int
        and STORED_INT[0] <= job.priority <= STORED_INT[1]
        and type(job.next_run_at) is float
        and limits.STORED_TIME[0] <= job.next_run_at <= limits.STORED_TIME[1]
        and type(job.created_at) is float
        and limits.STORED_TIME[0] <= job.created_at <= limits.STORED_TIME[1]
        and type(job.updated_at) is float
        and limits.STORED_TIME[0] <= job.updated_at <= limits.STORED_TIME[1]
        and type(job.attempts) is int
        and job.attempts >= 0
        and type(job.state) is State
        and type(job.id) is str
        and type(job.queue) is str
        and type(job.type) is str
        and (job.max_retries is None or (type(job.max_retries) is int and job.max_retries >= 0))
        and (job.timeout is None or (type(job.timeout) is float and 0 < job.timeout < math.inf))
        and (job.worker_id is None or type(job.worker_id) is str)
        and (job.last_error is None or type(job.last_error) is str)
        and (
            job.lease_expires_at is None
            or (
                type(job.lease_expires_at) is float
                and limits.STORED_TIME[0] <= job.lease_expires_at <= limits.STORED_TIME[1]
            )
        )
        and not isinstance(job.payload, NotJson)
        and not isinstance(job.result, NotJson)
    ):
        return job
    return _repair(job)


def _repair(job: Job) -> Job:
    changes: dict[str, Any] = {}
    unreadable = list(job.unreadable)
    for name, (read, placeholder, optional) in _FIELDS.items():
        value = getattr(job, name)
        if value is None and optional:
            continue
        read_value = read(value)
        if read_value is None or isinstance(value, NotUtf8):
            unreadable.append(name)
        changes[name] = placeholder if read_value is None else read_value
    if type(job.state) is not State:
        unreadable.append("state")
        changes["state"] = PLACEHOLDER_STATE
    for name in ("payload", "result"):
        value = getattr(job, name)
        if isinstance(value, NotJson):
            unreadable.append(name)
            changes[name] = str(value)  # shown as the raw text
    changes["unreadable"] = tuple(dict.fromkeys(unreadable))
    return job.evolve(**changes)


def readable_attempt(attempt: Attempt) -> Attempt:
    """``attempt`` with a placeholder for each value queuectl cannot show (times,
    numbers and an outcome it does not know); attempts have no ``unreadable`` list:
    their job's history is only shown."""
    changes: dict[str, Any] = {}
    if type(attempt.outcome) is not Outcome:
        changes["outcome"] = Outcome.FAILED
    for name, optional in (("started_at", False), ("finished_at", True)):
        value = getattr(attempt, name)
        if not (optional and value is None) and _as_time(value) is None:
            changes[name] = None if optional else PLACEHOLDER_TIME
    for name in ("job_id", "worker_id", "error"):
        value = getattr(attempt, name)
        if value is not None and type(value) is not str:
            changes[name] = _as_text(value) or "?"
    for name in ("number", "exit_code", "stdout_dropped", "stderr_dropped"):
        value = getattr(attempt, name)
        if value is not None and type(value) is not int:
            changes[name] = _as_int(value, -(2**62), 2**62) or 0
    return replace(attempt, **changes) if changes else attempt


#: The fields a job cannot run without: one of them unreadable, a worker fails the
#: job at once instead of running it. The others (times, priority) are only shown.
RUN_FIELDS = frozenset(
    ("id", "command", "type", "payload", "queue", "max_retries", "timeout", "attempts", "options")
)


def cannot_run(job: Job) -> tuple[str, ...]:
    """The fields of :data:`RUN_FIELDS` that ``job`` has unreadable."""
    if not job.unreadable:
        return ()
    return tuple(name for name in job.unreadable if name in RUN_FIELDS)


def problem(job: Job) -> str:
    """The one-line error of an attempt of a job that cannot run (:func:`cannot_run`)."""
    return (
        f"stored job is unreadable ({', '.join(cannot_run(job))}): "
        "not run; fix or purge it, or enqueue it again"
    )
