"""The runtime settings of the callback plugin."""

from __future__ import annotations

from queuectl_core.settings import Setting
from queuectl_core.units import parse_duration

EVENTS = ("succeeded", "failed", "dead", "cancelled", "enqueued", "started")


def parse_events(text: str) -> str:
    """``" succeeded, dead"`` as ``"succeeded,dead"``; unknown names are refused.

    The value stays text so it prints and serializes like every other setting.
    """
    names = {name.strip() for name in text.split(",") if name.strip()}
    unknown = sorted(names.difference(EVENTS))
    if unknown:
        raise ValueError(f"unknown event {unknown[0]!r}; choose from {','.join(EVENTS)}")
    return ",".join(name for name in EVENTS if name in names)


def parse_timeout(text: str) -> float:
    value = parse_duration(text)
    if value <= 0:
        raise ValueError("must be greater than zero")
    return value


SETTINGS = (
    Setting(
        "callback_command",
        "",
        str,
        "Shell command run on the chosen job events (empty: off); job fields in QUEUECTL_*.",
    ),
    Setting(
        "callback_events",
        "dead",
        parse_events,
        f"Comma-separated events that run callback_command: {','.join(EVENTS)}.",
    ),
    Setting(
        "callback_timeout",
        10.0,
        parse_timeout,
        "A callback still running after this long is killed.",
        "s",
    ),
)
