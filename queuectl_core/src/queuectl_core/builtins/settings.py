"""The core runtime settings."""

from __future__ import annotations

from collections.abc import Callable

from queuectl_core.plugins import hookimpl
from queuectl_core.settings import Setting
from queuectl_core.units import parse_duration, parse_positive_duration, parse_size


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ValueError("expected a whole number") from None
    if value < 0:
        raise ValueError("must not be negative")
    return value


def _base(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError("expected a number") from None
    if not 1 <= value <= 1000:
        raise ValueError("must be between 1 and 1000")
    return value


def _output_limit(text: str) -> int:
    value = parse_size(text)
    if value > 64 * 1024**2:
        raise ValueError("must be at most 64M")
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
    Setting("backoff_max", 3600.0, parse_positive_duration, "Upper bound of a retry delay.", "s"),
    Setting(
        "job_timeout",
        0.0,
        parse_duration,
        "Timeout of jobs that set none; 0 means no timeout.",
        "s",
    ),
    Setting(
        "kill_grace",
        5.0,
        parse_duration,
        "Time between SIGTERM and SIGKILL when a job is stopped.",
        "s",
    ),
    Setting(
        "lease_timeout",
        30.0,
        parse_positive_duration,
        "A job whose worker sent no heartbeat this long is recovered as lost.",
        "s",
    ),
    Setting(
        "heartbeat_interval",
        5.0,
        parse_positive_duration,
        "How often a worker renews its lease and registry entry.",
        "s",
    ),
    Setting(
        "poll_interval",
        1.0,
        parse_positive_duration,
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
)


@hookimpl
def queuectl_register_settings(register: Callable[[Setting], None]) -> None:
    for setting in CORE_SETTINGS:
        register(setting)
