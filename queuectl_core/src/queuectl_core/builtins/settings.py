"""The core runtime settings."""

from __future__ import annotations

import re
from collections.abc import Callable

from queuectl_core import exit_codes, limits
from queuectl_core.hookspecs import hookimpl
from queuectl_core.settings import Setting, duration_in
from queuectl_core.units import parse_size

_WHOLE = re.compile(r"[-+]?\d{1,30}")


def _count(text: str) -> int:
    if not _WHOLE.fullmatch(text.strip()):
        raise ValueError(f"expected a whole number; it {limits.range_text(*limits.MAX_RETRIES)}")
    return limits.check_int(int(text), limits.MAX_RETRIES)


def _base(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError("expected a number") from None
    if not limits.within(value, limits.BACKOFF_BASE):
        raise ValueError(limits.range_text(*(f"{bound:g}" for bound in limits.BACKOFF_BASE)))
    return value


def _keep(text: str) -> float | None:
    """How long ended jobs are kept: a duration, or ``off``/``none`` (forever)."""
    if text.strip().lower() in ("off", "none"):
        return None
    return _keep_duration(text)


_keep_duration = duration_in(limits.KEEP)

_TRUE, _FALSE = ("true", "yes", "on", "1"), ("false", "no", "off", "0")


def _switch(text: str) -> bool:
    word = text.strip().lower()
    if word in _TRUE or word in _FALSE:
        return word in _TRUE
    raise ValueError("expected true or false (also yes/no, on/off, 1/0)")


def _output_limit(text: str) -> int:
    value = parse_size(text)
    if not limits.OUTPUT_LIMIT[0] <= value <= limits.OUTPUT_LIMIT[1]:
        raise ValueError("must be between 0 and 64M")
    return value


CORE_SETTINGS = (
    Setting(
        "max_retries",
        3,
        _count,
        "Retries after the first attempt, unless the job sets max_retries.",
    ),
    Setting(
        "backoff_base", 2.0, _base, "Retry n waits backoff_base ** n seconds (base 2: 2, 4, 8 s)."
    ),
    Setting(
        "backoff_max", 3600.0, duration_in(limits.BACKOFF_MAX), "Upper bound of a retry delay.", "s"
    ),
    Setting(
        "backoff_jitter",
        False,
        _switch,
        "Full jitter: a retry waits a random time between 0 and the backoff delay.",
    ),
    Setting(
        "retry_on_exit",
        (),
        exit_codes.parse,
        "Exit codes a shell job is retried for (none: any non-zero); others go to the DLQ.",
    ),
    Setting(
        "no_retry_exit",
        (),
        exit_codes.parse,
        "Exit codes that send a shell job to the DLQ at once, without retrying.",
    ),
    Setting(
        "job_timeout",
        0.0,
        duration_in(limits.TIMEOUT, zero=True),
        "Timeout of jobs that set none; 0 means no timeout.",
        "s",
    ),
    Setting(
        "max_timeout_extension",
        limits.HOUR,
        duration_in(limits.TIMEOUT, zero=True),
        "Most an attempt may extend its timeout by (queuectl heartbeat --extend); 0: never.",
        "s",
    ),
    Setting(
        "kill_grace",
        5.0,
        duration_in(limits.KILL_GRACE),
        "Time between SIGTERM and SIGKILL when a job is stopped.",
        "s",
    ),
    Setting(
        "lease_timeout",
        30.0,
        duration_in(limits.LEASE_TIMEOUT),
        "A job whose worker sent no heartbeat this long is recovered as lost.",
        "s",
    ),
    Setting(
        "heartbeat_interval",
        5.0,
        duration_in(limits.HEARTBEAT_INTERVAL),
        "How often a worker renews its lease and registry entry.",
        "s",
    ),
    Setting(
        "poll_interval",
        1.0,
        duration_in(limits.POLL_INTERVAL),
        "Longest an idle worker sleeps before looking for work without a wake-up.",
        "s",
    ),
    Setting(
        "output_limit",
        262144,
        _output_limit,
        "Bytes of stdout and of stderr kept per attempt (the tail is kept).",
        "bytes",
    ),
    Setting(
        "keep_completed_for",
        7 * limits.DAY,
        _keep,
        "Workers purge completed jobs this long after they ended; off keeps them.",
        "s",
    ),
    Setting(
        "keep_dead_for",
        None,
        _keep,
        "Workers purge dead jobs this long after they ended; off (default) keeps them.",
        "s",
    ),
    Setting(
        "keep_cancelled_for",
        7 * limits.DAY,
        _keep,
        "Workers purge cancelled (and expired) jobs this long after they ended; off keeps them.",
        "s",
    ),
)


@hookimpl
def queuectl_register_settings(register: Callable[[Setting], None]) -> None:
    for setting in CORE_SETTINGS:
        register(setting)
