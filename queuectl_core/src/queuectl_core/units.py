"""Parsing and formatting of durations, byte sizes and times given by people."""

from __future__ import annotations

import math
import re
from datetime import datetime, timezone

from queuectl_core.limits import DURATION_MAX, duration_text

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([kmg]i?b?|b)?", re.IGNORECASE)
_SIZE_FACTOR = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


def parse_duration(text: str | float | int) -> float:
    """Seconds from ``10``, ``2.5``, ``30s``, ``5m``, ``2h``, ``1d`` or ``1h30m``.

    Raises ``ValueError`` for anything else, including negative values and
    durations over :data:`~queuectl_core.limits.DURATION_MAX` (100 years).
    """
    if isinstance(text, bool):
        raise ValueError("expected a duration such as 30, 30s, 5m or 2h")
    if isinstance(text, (int, float)):
        return _non_negative(float(text))
    raw = text.strip().lower()
    try:
        number = float(raw)
    except ValueError:
        pass
    else:
        return _non_negative(number)
    position, total = 0, 0.0
    for match in _DURATION_PART.finditer(raw):
        if match.start() != position:
            break
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        position = match.end()
    if not raw or position != len(raw):
        raise ValueError(f"{_short(text)} is not a duration such as 30, 30s, 5m or 2h")
    return _non_negative(total)


def _non_negative(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    if value < 0:
        raise ValueError("must not be negative")
    if value > DURATION_MAX:
        raise ValueError(f"must be at most {duration_text(DURATION_MAX)}")
    return value


def _short(text: str) -> str:
    """``text`` quoted for an error message, cut if long."""
    return repr(text) if len(text) <= 40 else repr(text[:37]) + "..."


def parse_size(text: str | int) -> int:
    """Bytes from ``65536``, ``64k``, ``64KiB``, ``1M`` or ``1GB`` (powers of 1024)."""
    if isinstance(text, bool):
        raise ValueError("expected a size such as 65536, 64k or 1M")
    if isinstance(text, int):
        if text < 0:
            raise ValueError("must not be negative")
        return text
    match = _SIZE.fullmatch(text.strip())
    if not match:
        raise ValueError(f"{_short(text)} is not a size such as 65536, 64k or 1M")
    unit = (match.group(2) or "").lower()[:1]
    size = float(match.group(1)) * _SIZE_FACTOR[unit]
    if not math.isfinite(size) or size > 2**62:
        raise ValueError(f"{_short(text)} is too large")
    return int(size)


def parse_time(text: str) -> float:
    """A POSIX timestamp from ISO 8601 (``2025-11-10T10:00:00Z``, with offset, or
    local time when no zone is given)."""
    raw = text.strip()
    if raw.endswith(("Z", "z")):
        raw = raw[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(
            f"{_short(text)} is not an ISO 8601 time such as 2025-11-10T10:00:00Z"
        ) from None
    try:
        return moment.timestamp()  # naive values are local time
    except (OverflowError, OSError, ValueError):  # year 1 in a zone east of UTC, ...
        raise ValueError(f"{_short(text)} is out of range") from None


def iso(timestamp: float | None) -> str | None:
    """ISO 8601 UTC with milliseconds, e.g. ``2025-11-10T10:00:00.000Z``."""
    if timestamp is None:
        return None
    try:
        moment = datetime.fromtimestamp(timestamp, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):  # a time no calendar shows: say so
        return None
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def utc(timestamp: float) -> datetime:
    """An aware UTC datetime."""
    return datetime.fromtimestamp(timestamp, tz=timezone.utc)


def human_duration(seconds: float | None) -> str:
    """``0.25s``, ``12s``, ``3m05s``, ``2h10m`` for tables."""
    if seconds is None:
        return "-"
    if seconds < 10:
        return f"{seconds:.2f}s"
    if seconds < 60:
        return f"{seconds:.0f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def parse_positive_duration(text: str) -> float:
    """A duration as :func:`parse_duration` reads it, which must be above zero."""
    value = parse_duration(text)
    if value <= 0:
        raise ValueError("must be greater than zero")
    return value
