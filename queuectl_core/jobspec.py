"""Turning what a person wrote (JSON or flags) into a valid :class:`Job`."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from queuectl_core.errors import InvalidJobError
from queuectl_core.job import Job, new_token
from queuectl_core.units import parse_duration, parse_time

FIELDS = (
    "id", "command", "type", "payload", "queue", "priority",
    "max_retries", "timeout", "run_at", "delay",
)  # fmt: skip
_KNOWN = frozenset(FIELDS)
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@+-]{0,199}")
_QUEUE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,99}")
_TYPE = re.compile(r"[A-Za-z_][A-Za-z0-9_.:-]{0,199}")
MAX_ARGUMENT = 128 * 1024 - 1  # Linux: one argv or environment string (MAX_ARG_STRLEN)


def new_id() -> str:
    """A random job id: 16 hex digits."""
    return new_token()


def parse_json(text: str, where: str = "job") -> dict[str, Any]:
    """A JSON object from text, or ``InvalidJobError`` naming ``where``."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidJobError(f"{where}: malformed JSON: {exc.msg} at column {exc.colno}") from None
    if not isinstance(value, dict):
        raise InvalidJobError(f"{where}: expected a JSON object, got {type(value).__name__}")
    return value


#: Bounds of a job's priority: exact in a double, so any backend can sort by it.
PRIORITY_RANGE = (-(2**31), 2**31 - 1)
MAX_RETRIES_LIMIT = 1_000_000


#: Named priorities, usable wherever a priority is given (``--priority high``,
#: ``"priority": "high"``); jobs store the number.
PRIORITY_NAMES = {"low": -10, "normal": 0, "high": 10, "critical": 20}


def priority_name(priority: int) -> str | None:
    """The name of a priority number, if it has one."""
    return next((name for name, number in PRIORITY_NAMES.items() if number == priority), None)


def _priority(data: Mapping[str, Any]) -> int:
    """A job's priority: a whole number in ``PRIORITY_RANGE`` or a name (any case)."""
    value = data.get("priority")
    if isinstance(value, str) and not re.fullmatch(r"\s*-?\d+\s*", value):
        number = PRIORITY_NAMES.get(value.strip().lower())
        if number is None:
            names = ", ".join(f"{name} ({n})" for name, n in PRIORITY_NAMES.items())
            raise InvalidJobError(
                f"priority must be a whole number or one of {names}, got {value!r}"
            )
        return number
    return _bounded(data, "priority", *PRIORITY_RANGE) or 0


def _int(data: Mapping[str, Any], key: str, minimum: int | None) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
            value = int(value)
        else:
            raise InvalidJobError(f"{key} must be a whole number, got {value!r}")
    if minimum is not None and value < minimum:
        raise InvalidJobError(f"{key} must not be negative, got {value}")
    if abs(value) > 2**62:
        raise InvalidJobError(f"{key} is out of range")
    return value


def _bounded(data: Mapping[str, Any], key: str, low: int, high: int) -> int | None:
    value = _int(data, key, 0 if low == 0 else None)
    if value is not None and not low <= value <= high:
        raise InvalidJobError(f"{key} must be between {low} and {high}, got {value}")
    return value


def _seconds(data: Mapping[str, Any], key: str) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise InvalidJobError(f"{key} must be seconds or a duration such as 30s, got {value!r}")
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise InvalidJobError(f"{key}: {exc}") from None


def _text(data: Mapping[str, Any], key: str, pattern: re.Pattern[str], what: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise InvalidJobError(f"{key} must be {what}, got {value!r}")
    return value


def build_job(data: Mapping[str, Any], now: float, where: str = "job") -> Job:
    """Validate a job description and return the new pending job.

    Raises ``InvalidJobError`` with a one-line reason prefixed by ``where``.
    """
    try:
        return _build(data, now)
    except InvalidJobError as exc:
        raise InvalidJobError(f"{where}: {exc}") from None


def _build(data: Mapping[str, Any], now: float) -> Job:
    if data.keys() - _KNOWN:
        unknown = sorted(data.keys() - _KNOWN)
        raise InvalidJobError(
            f"unknown field{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
            f"known fields: {', '.join(FIELDS)}"
        )
    job_type = _text(data, "type", _TYPE, "an executor or handler name") or "shell"
    command = data.get("command")
    if command is None:
        if job_type == "shell":
            raise InvalidJobError("command is required")
        command = ""
    if not isinstance(command, str):
        raise InvalidJobError(f"command must be a string, got {command!r}")
    if job_type == "shell" and not command.strip():
        raise InvalidJobError("command must not be empty")
    # at most 4 bytes per character: encode only commands that could be too long
    too_long = len(command) * 4 > MAX_ARGUMENT and len(command.encode()) > MAX_ARGUMENT
    if too_long or "\x00" in command:
        raise InvalidJobError("command must be under 128 KiB and contain no NUL byte")
    payload = data.get("payload")
    try:
        encoded = "null" if payload is None else json.dumps(payload, allow_nan=False)
    except (TypeError, ValueError):
        raise InvalidJobError("payload must be JSON") from None
    if job_type == "shell" and len(encoded.encode()) > MAX_ARGUMENT:
        raise InvalidJobError(
            "payload of a shell job must be under 128 KiB (it is passed in $QUEUECTL_PAYLOAD)"
        )
    timeout = _seconds(data, "timeout")
    if timeout is not None and timeout <= 0:
        raise InvalidJobError("timeout must be greater than zero")
    run_at = data.get("run_at")
    delay = _seconds(data, "delay")
    if run_at is not None and delay is not None:
        raise InvalidJobError("give run_at or delay, not both")
    next_run_at = now
    if run_at is not None:
        if not isinstance(run_at, str):
            raise InvalidJobError(f"run_at must be an ISO 8601 time, got {run_at!r}")
        try:
            next_run_at = parse_time(run_at)
        except ValueError as exc:
            raise InvalidJobError(f"run_at: {exc}") from None
    elif delay is not None:
        next_run_at = now + delay
    return Job(
        id=_text(data, "id", _ID, "1-200 letters, digits or ._:@+- (starting alnum)") or new_id(),
        command=command,
        type=job_type,
        payload=payload,
        queue=_text(data, "queue", _QUEUE, "1-100 letters, digits or ._:-") or "default",
        priority=_priority(data),
        max_retries=_bounded(data, "max_retries", 0, MAX_RETRIES_LIMIT),
        timeout=timeout,
        created_at=now,
        updated_at=now,
        next_run_at=next_run_at,
    )
