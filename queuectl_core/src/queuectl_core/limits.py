"""The allowed range of every value a person gives: job fields, settings, list pages.

One place for the bounds, read by :mod:`queuectl_core.jobspec`, the settings and
the CLI, and listed in docs/configuration.md ("Value ranges"). A value outside its
range is refused with a one-line error naming the field and the range
(:func:`out_of_range`); the same bounds decide which stored values
:mod:`queuectl_core.stored` can read back.
"""

from __future__ import annotations

import math
from typing import Any

SECOND = 1.0
MINUTE = 60.0
HOUR = 3600.0
DAY = 86400.0
YEAR = 365.25 * DAY

#: A job's priority: exact in a double, so any backend can sort by it.
PRIORITY = (-(2**31), 2**31 - 1)
#: A job's ``max_retries`` and the ``max_retries`` setting.
MAX_RETRIES = (0, 1_000_000)
#: A job's ``timeout`` and the ``job_timeout`` setting (which may also be 0: none).
TIMEOUT = (0.001, YEAR)
#: How far ahead a job may be scheduled: ``delay``, and ``run_at`` minus now.
DELAY = (0.0, 10 * YEAR)
#: A job's ``expires_in``: above zero, as far ahead as a job may be scheduled.
EXPIRES_IN = (0.001, DELAY[1])
#: The earliest ``run_at``: 1970-01-01T00:00:00Z (earlier ones mean "now" anyway).
EARLIEST_RUN_AT = 0.0
#: A time stored in a job that queuectl can show (1970 up to the year 9999).
STORED_TIME = (-1.0, 253402300799.0)
#: Any duration a person gives, before the field's own bounds.
DURATION_MAX = 100 * YEAR

#: A job id: 1-200 characters of ``ID_CHARACTERS``, starting with a letter or digit.
ID_LENGTH = 200
ID_CHARACTERS = "letters, digits or ._:@+-"
#: A queue name: 1-100 characters of ``QUEUE_CHARACTERS``, starting with a letter or digit.
QUEUE_LENGTH = 100
QUEUE_CHARACTERS = "letters, digits or ._:-"
#: The reason of a queue's pause (``queuectl queue pause --reason``): one line.
PAUSE_REASON_LENGTH = 200
#: A queue's concurrency limit (``queuectl queue limit --concurrency``).
QUEUE_CONCURRENCY = (1, 1_000_000)
#: An executor or handler name (``type``).
TYPE_LENGTH = 200
#: A command, in bytes of UTF-8: Linux takes no longer argv string (MAX_ARG_STRLEN).
COMMAND_BYTES = 128 * 1024 - 1
#: A payload as JSON, in bytes of UTF-8; a shell job's is passed in an environment
#: variable, so it gets ``COMMAND_BYTES`` like the command.
PAYLOAD_BYTES = 1024 * 1024
#: Levels of arrays and objects inside a payload.
PAYLOAD_DEPTH = 64
#: The jobs one job may wait for (``after``): each end of one of them reads the state
#: of every other, so a job with many more would make each of their ends slow.
DEPENDENCIES = 100
#: An exit code in a retry rule (``retry_on_exit``, ``no_retry_exit``), and how many
#: codes one rule may list.
EXIT_CODE = (0, 255)
EXIT_CODES = 64
#: A job's working directory (``cwd``), in bytes of UTF-8: Linux's PATH_MAX less its NUL.
CWD_BYTES = 4095
#: A job's own environment variables (``env``): how many, and their ``NAME=VALUE``
#: texts together in bytes of UTF-8 (the OS limits one such text to 128 KiB and all of
#: a process's arguments and environment to a few MiB).
ENV_VARIABLES = 100
ENV_BYTES = 64 * 1024

#: A unique key (``unique_key``), in characters: any text without control characters.
UNIQUE_KEY_LENGTH = 200
#: ``unique_for``: how long after its creation a job blocks its key.
UNIQUE_FOR = (0.001, DURATION_MAX)

#: ``wait --timeout``.
WAIT_TIMEOUT = (0.0, DURATION_MAX)

#: A schedule's name: 1-100 characters of ``QUEUE_CHARACTERS``, starting with a letter or
#: digit (with ``@`` and a time, a run's job id stays within ``ID_LENGTH``).
SCHEDULE_NAME_LENGTH = 100
#: A cron expression, in characters.
CRON_LENGTH = 200
#: A schedule's ``every``: whole seconds.
SCHEDULE_EVERY = (1.0, YEAR)
#: Catch-up ``all`` enqueues at most this many missed runs at once (the latest ones).
CATCH_UP_RUNS = 100
#: Catch-up ``none``: a run later than half the time to the next one, and at most this
#: late, is missed.
MISSED_AFTER = MINUTE

#: ``list --limit`` and ``dlq list --limit``.
LIST_LIMIT = (1, 1_000_000)
#: ``list --offset``: any page SQLite and Redis can count to.
LIST_OFFSET = (0, 2**53)

#: Durations of the core settings (seconds).
BACKOFF_BASE = (1.0, 1000.0)
BACKOFF_MAX = (0.001, DELAY[1])
KILL_GRACE = (0.0, HOUR)
LEASE_TIMEOUT = (0.01, DAY)
HEARTBEAT_INTERVAL = (0.01, DAY)
POLL_INTERVAL = (0.001, HOUR)
#: How long ended jobs are kept (``keep_completed_for`` ...), unless off.
KEEP = (0.001, DURATION_MAX)
#: Bytes of stdout and of stderr kept per attempt.
OUTPUT_LIMIT = (0, 64 * 1024**2)

#: Settings of the bundled plugins: a webhook POST's timeout per try and its retries
#: (each retry waits longer), and how long a callback command may run.
WEBHOOK_TIMEOUT = (0.001, HOUR)
WEBHOOK_RETRIES = (0, 20)
CALLBACK_TIMEOUT = (0.001, DAY)


def duration_text(seconds: float) -> str:
    """A bound as a person reads it: ``0s``, ``1ms``, ``30s``, ``1 hour``, ``10 years``."""
    if seconds == 0:
        return "0s"
    for size, one, many in (
        (YEAR, "1 year", "years"),
        (DAY, "1 day", "days"),
        (HOUR, "1 hour", "hours"),
    ):
        if seconds >= size and (seconds / size).is_integer():
            count = int(seconds / size)
            return one if count == 1 else f"{count} {many}"
    if seconds < 1:
        return f"{seconds * 1000:g}ms"
    return f"{seconds:g}s"


def shown(value: Any, width: int = 40) -> str:
    """``value`` for an error message: its ``repr``, cut to ``width`` characters.

    Never fails: an int too long to print (Python refuses more than 4300 digits)
    shows as its number of digits.
    """
    try:
        text = repr(value)
    except ValueError:
        text = f"<a number of about {int(value.bit_length() * 0.30103)} digits>"
    return text if len(text) <= width else text[: width - 3] + "..."


def range_text(low: object, high: object) -> str:
    """``must be between LOW and HIGH``: the end of every out-of-range error."""
    return f"must be between {low} and {high}"


def within(value: float, bounds: tuple[float, float]) -> bool:
    """Whether ``value`` is a finite number inside ``bounds`` (inclusive)."""
    return math.isfinite(value) and bounds[0] <= value <= bounds[1]


def duration_range(bounds: tuple[float, float]) -> str:
    """``must be between 0s and 10 years``."""
    return range_text(duration_text(bounds[0]), duration_text(bounds[1]))


def check_duration(seconds: float, bounds: tuple[float, float]) -> float:
    """``seconds`` if inside ``bounds``; else ``ValueError`` naming the range."""
    if not within(seconds, bounds):
        raise ValueError(duration_range(bounds))
    return seconds


def check_int(value: int, bounds: tuple[int, int]) -> int:
    """``value`` if inside ``bounds``; else ``ValueError`` naming the range."""
    if not bounds[0] <= value <= bounds[1]:
        raise ValueError(range_text(*bounds))
    return value


def is_unicode(text: str) -> bool:
    """Whether ``text`` can be stored as UTF-8: no lone surrogate, such as JSON's
    ``"\\ud800"`` or the bytes of a command line that are not UTF-8 give."""
    if text.isascii():
        return True
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True
