"""Turning what a person wrote (JSON or flags) into a valid :class:`Job`.

Every field is checked against its range in :mod:`queuectl_core.limits`; a value
out of range, of the wrong type or not valid Unicode is refused with a one-line
``InvalidJobError`` naming the field, so nothing unreadable is ever stored.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from queuectl_core import executors, exit_codes, job_process, limits
from queuectl_core.errors import InvalidJobError
from queuectl_core.job import Job, State, new_token
from queuectl_core.limits import shown
from queuectl_core.units import iso, parse_duration, parse_time

FIELDS = (
    "id", "command", "type", "payload", "queue", "priority",
    "max_retries", "timeout", "run_at", "delay", "after", "after_any",
    "expires_at", "expires_in",
    "unique_key", "unique_for", "unique_while",
    "cwd", "env", "backoff_jitter", "retry_on_exit", "no_retry_exit",
)  # fmt: skip
_KNOWN = frozenset(FIELDS)
_ID = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._:@+-]{{0,{limits.ID_LENGTH - 1}}}")
_QUEUE = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._:-]{{0,{limits.QUEUE_LENGTH - 1}}}")
_TYPE = re.compile(rf"[A-Za-z_][A-Za-z0-9_.:-]{{0,{limits.TYPE_LENGTH - 1}}}")
_WHOLE = re.compile(r"[-+]?\d{1,30}")
#: Kept for plugins that imported them; the bounds live in :mod:`queuectl_core.limits`.
MAX_ARGUMENT = limits.COMMAND_BYTES
PRIORITY_RANGE = limits.PRIORITY
MAX_RETRIES_LIMIT = limits.MAX_RETRIES[1]
NOT_UNICODE = "is not valid Unicode text (it has a lone surrogate or bytes that are not UTF-8)"


def is_queue_name(name: str) -> bool:
    """Whether ``name`` is a valid queue name (see ``limits.QUEUE_LENGTH``)."""
    return _QUEUE.fullmatch(name) is not None


def new_id() -> str:
    """A random job id: 16 hex digits."""
    return new_token()


def parse_json(text: str, where: str = "job") -> dict[str, Any]:
    """A JSON object from text, or ``InvalidJobError`` naming ``where``."""
    value = loads(text, where)
    if not isinstance(value, dict):
        raise InvalidJobError(f"{where}: expected a JSON object, got {type(value).__name__}")
    return value


def loads(text: str, where: str) -> Any:
    """``json.loads``, with every way it fails as ``InvalidJobError`` naming ``where``."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidJobError(f"{where}: malformed JSON: {exc.msg} at column {exc.colno}") from None
    except RecursionError:
        raise InvalidJobError(
            f"{where}: JSON nested too deeply (a payload may have {limits.PAYLOAD_DEPTH} levels)"
        ) from None
    except ValueError:  # an integer of more than 4300 digits
        raise InvalidJobError(f"{where}: malformed JSON: a number has too many digits") from None


#: Named priorities, usable wherever a priority is given (``--priority high``,
#: ``"priority": "high"``); jobs store the number.
PRIORITY_NAMES = {"low": -10, "normal": 0, "high": 10, "critical": 20}


def priority_name(priority: int) -> str | None:
    """The name of a priority number, if it has one."""
    return next((name for name, number in PRIORITY_NAMES.items() if number == priority), None)


def _priority(data: Mapping[str, Any]) -> int:
    """A job's priority: a whole number in ``limits.PRIORITY`` or a name (any case)."""
    value = data.get("priority")
    if isinstance(value, str) and not re.fullmatch(r"\s*-?\d+\s*", value):
        number = PRIORITY_NAMES.get(value.strip().lower())
        if number is None:
            names = ", ".join(f"{name} ({n})" for name, n in PRIORITY_NAMES.items())
            raise InvalidJobError(
                f"priority must be a whole number or one of {names}, got {value!r}"
            )
        return number
    return _int(data, "priority", limits.PRIORITY) or 0


def _int(data: Mapping[str, Any], key: str, bounds: tuple[int, int]) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, str) and _WHOLE.fullmatch(value.strip()):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidJobError(
            f"{key} must be a whole number between {bounds[0]} and {bounds[1]}, got {shown(value)}"
        )
    if not bounds[0] <= value <= bounds[1]:
        raise InvalidJobError(f"{key} {limits.range_text(*bounds)}, got {shown(value)}")
    return value


def _seconds(data: Mapping[str, Any], key: str, bounds: tuple[float, float]) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise InvalidJobError(
            f"{key} must be seconds or a duration such as 30s, got {shown(value)}"
        )
    try:
        seconds = parse_duration(value)
    except ValueError as exc:
        if str(exc).startswith("must"):  # a number, out of any range
            raise InvalidJobError(
                f"{key} {limits.duration_range(bounds)}, got {shown(value)}"
            ) from None
        raise InvalidJobError(f"{key}: {exc}; it {limits.duration_range(bounds)}") from None
    if not limits.within(seconds, bounds):
        raise InvalidJobError(f"{key} {limits.duration_range(bounds)}, got {shown(value)}")
    return seconds


def _text(data: Mapping[str, Any], key: str, pattern: re.Pattern[str], what: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise InvalidJobError(f"{key} must be {what}, got {shown(value)}")
    return value


def _too_deep(value: Any, limit: int) -> bool:
    """Whether ``value`` has more than ``limit`` levels of lists and dicts (no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def _payload(payload: Any, needs: executors.Declared) -> None:
    """Refuse a payload that is not JSON, too deep, too large or not valid Unicode."""
    if payload is None:
        return
    if isinstance(payload, (dict, list)) and _too_deep(payload, limits.PAYLOAD_DEPTH):
        raise InvalidJobError(
            f"payload is nested too deeply (at most {limits.PAYLOAD_DEPTH} levels)"
        )
    try:
        encoded = json.dumps(payload, allow_nan=False)  # as stored: ASCII
    except (TypeError, ValueError, RecursionError):
        raise InvalidJobError("payload must be JSON (no NaN or infinity)") from None
    if "\\ud" in encoded and not limits.is_unicode(json.dumps(payload, ensure_ascii=False)):
        raise InvalidJobError(f"payload {NOT_UNICODE}")
    limit = needs.payload_limit or limits.PAYLOAD_BYTES
    if len(encoded) > limit:
        where = f" {needs.payload_limit_reason}" if needs.payload_limit_reason else ""
        raise InvalidJobError(
            f"payload{where} must be at most {_kib(limit)} as JSON, got {_kib(len(encoded))}"
        )


def _kib(size: int) -> str:
    """``512 bytes``, ``128 KiB``, ``1 MiB``, ``2.5 MiB``."""
    if size < 1024:
        return f"{size} bytes"
    if size < 1024**2:
        return f"{size / 1024:.0f} KiB"
    return f"{size / 1024**2:.3g} MiB"


def _command(data: Mapping[str, Any], needs: executors.Declared) -> str:
    command = data.get("command")
    if command is None:
        if needs.needs_command:
            raise InvalidJobError("command is required")
        return ""
    if not isinstance(command, str):
        raise InvalidJobError(f"command must be a string, got {shown(command)}")
    if needs.needs_command and not command.strip():
        raise InvalidJobError("command must not be empty")
    if not limits.is_unicode(command):
        raise InvalidJobError(f"command {NOT_UNICODE}")
    # at most 4 bytes per character: encode only commands that could be too long
    if len(command) * 4 > limits.COMMAND_BYTES:
        size = len(command.encode())
        if size > limits.COMMAND_BYTES:
            raise InvalidJobError(
                f"command must be at most {_kib(limits.COMMAND_BYTES + 1)} of UTF-8, "
                f"got {_kib(size)}"
            )
    if "\x00" in command:
        raise InvalidJobError("command must not contain a NUL byte")
    return command


def _next_run_at(data: Mapping[str, Any], now: float) -> float:
    run_at = data.get("run_at")
    delay = _seconds(data, "delay", limits.DELAY)
    if run_at is not None and delay is not None:
        raise InvalidJobError("give run_at or delay, not both")
    if delay is not None:
        return now + delay
    if run_at is None:
        return now
    latest = now + limits.DELAY[1]
    allowed = (
        f"between {_iso(limits.EARLIEST_RUN_AT)} and "
        f"{limits.duration_text(limits.DELAY[1])} from now ({_iso(latest)})"
    )
    if not isinstance(run_at, str):
        raise InvalidJobError(f"run_at must be an ISO 8601 time, got {shown(run_at)}")
    try:
        moment = parse_time(run_at)
    except ValueError as exc:
        raise InvalidJobError(f"run_at: {exc}; it must be {allowed}") from None
    if not limits.EARLIEST_RUN_AT <= moment <= latest:
        raise InvalidJobError(f"run_at must be {allowed}, got {shown(run_at)}")
    return moment


def _expires_at(data: Mapping[str, Any], now: float, next_run_at: float) -> float | None:
    """When the job expires if not started (``expires_at``, a time as ``run_at``, or
    ``expires_in``, a duration from now): after its due time and within
    ``limits.DELAY`` of now."""
    at, within = data.get("expires_at"), _seconds(data, "expires_in", limits.EXPIRES_IN)
    if at is not None and within is not None:
        raise InvalidJobError("give expires_at or expires_in, not both")
    if within is not None:
        moment, key, given = now + within, "expires_in", data.get("expires_in")
    elif at is None:
        return None
    else:
        key, given = "expires_at", at
        latest = now + limits.DELAY[1]
        allowed = f"a time up to {limits.duration_text(limits.DELAY[1])} from now ({_iso(latest)})"
        if not isinstance(at, str):
            raise InvalidJobError(f"expires_at must be an ISO 8601 time, got {shown(at)}")
        try:
            moment = parse_time(at)
        except ValueError as exc:
            raise InvalidJobError(f"expires_at: {exc}; it must be {allowed}") from None
        if moment > latest:
            raise InvalidJobError(f"expires_at must be {allowed}, got {shown(at)}")
    if moment <= max(now, next_run_at):
        when = "now" if next_run_at <= now else f"its run time {_iso(next_run_at)}"
        raise InvalidJobError(f"{key} must be after {when}, got {shown(given)}")
    return moment


def _after(data: Mapping[str, Any]) -> tuple[str, ...]:
    """The ids of the jobs it waits for: a list of distinct job ids, at most
    ``limits.DEPENDENCIES``."""
    value = data.get("after")
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InvalidJobError(f"after must be a list of job ids, got {shown(value)}")
    if len(value) > limits.DEPENDENCIES:
        raise InvalidJobError(
            f"after may name at most {limits.DEPENDENCIES} jobs, got {len(value)}"
        )
    for item in value:
        if not _ID.fullmatch(item):
            raise InvalidJobError(
                f"after: {shown(item)} is not a job id (1-{limits.ID_LENGTH} "
                f"{limits.ID_CHARACTERS}, starting with a letter or digit)"
            )
    repeated = next((item for n, item in enumerate(value) if item in value[:n]), None)
    if repeated is not None:
        raise InvalidJobError(f"after names {repeated!r} twice")
    return tuple(value)


def _after_any(data: Mapping[str, Any], after: tuple[str, ...]) -> bool:
    value = data.get("after_any")
    if value is None:
        return False
    if not isinstance(value, bool):
        raise InvalidJobError(f"after_any must be true or false, got {shown(value)}")
    if value and not after:
        raise InvalidJobError("after_any needs after: the ids of the jobs to wait for")
    return value


def _unique(data: Mapping[str, Any]) -> dict[str, Any]:
    """``unique_key``, ``unique_for`` and ``unique_while`` as job attributes."""
    key = data.get("unique_key")
    unique_for = _seconds(data, "unique_for", limits.UNIQUE_FOR)
    unique_while = _states(data.get("unique_while"))
    if key is None:
        for name, value in (("unique_for", unique_for), ("unique_while", unique_while)):
            if value is not None:
                raise InvalidJobError(f"{name} needs unique_key")
        return {}
    if not isinstance(key, str):
        raise InvalidJobError(f"unique_key must be a string, got {shown(key)}")
    if not key.strip():
        raise InvalidJobError("unique_key must not be empty")
    if len(key) > limits.UNIQUE_KEY_LENGTH:
        raise InvalidJobError(
            f"unique_key must be at most {limits.UNIQUE_KEY_LENGTH} characters, got {len(key)}"
        )
    if not limits.is_unicode(key):
        raise InvalidJobError(f"unique_key {NOT_UNICODE}")
    if _CONTROL.search(key):
        raise InvalidJobError(f"unique_key must not contain control characters, got {shown(key)}")
    return {"unique_key": key, "unique_for": unique_for, "unique_while": unique_while}


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _states(value: Any) -> tuple[State, ...] | None:
    """``unique_while``: a list of state names (or one comma-separated text), each once."""
    if value is None:
        return None
    if isinstance(value, str):
        value = [name.strip() for name in value.split(",")]
    names = ", ".join(state.value for state in State)
    if not isinstance(value, (list, tuple)) or not value:
        raise InvalidJobError(
            f"unique_while must be a list of states ({names}), got {shown(value)}"
        )
    states: list[State] = []
    for item in value:
        try:
            state = State(item.strip().lower() if isinstance(item, str) else item)
        except ValueError:
            raise InvalidJobError(
                f"unique_while: {shown(item)} is not a state; states: {names}"
            ) from None
        if state not in states:
            states.append(state)
    return tuple(states)


def _process(data: Mapping[str, Any], needs: executors.Declared, job_type: str) -> dict[str, Any]:
    """The job's ``cwd`` and ``env``, which only a job run in a process of its own has."""
    cwd = job_process.check_cwd(data.get("cwd"))
    env = job_process.check_env(data.get("env"))
    if needs.in_process and (cwd is not None or env):
        given = "cwd" if cwd is not None else "env"
        raise InvalidJobError(
            f"{given} is for jobs run in a process of their own; a {job_type} job runs "
            "inside the worker (give the handler what it needs in the payload)"
        )
    return {"cwd": cwd, "env": env}


def _retry_rules(data: Mapping[str, Any]) -> dict[str, Any]:
    """The job's own retry rules; ``None`` (not given): the settings."""
    jitter = data.get("backoff_jitter")
    if jitter is not None and not isinstance(jitter, bool):
        raise InvalidJobError(f"backoff_jitter must be true or false, got {shown(jitter)}")
    rules: dict[str, Any] = {"backoff_jitter": jitter}
    for key in ("retry_on_exit", "no_retry_exit"):
        try:
            rules[key] = exit_codes.from_field(data.get(key))
        except ValueError as exc:
            raise InvalidJobError(f"{key}: {exc}") from None
    return rules


def _iso(timestamp: float) -> str:
    """``2036-12-03T00:09:16Z``: a bound in an error message."""
    return (iso(int(timestamp)) or "?").replace(".000Z", "Z")


def _field_name(key: Any) -> str:
    return key if isinstance(key, str) and key.isascii() and key.isprintable() else shown(key)


def build_job(data: Mapping[str, Any], now: float, where: str = "job") -> Job:
    """Validate a job description and return the new job: pending, or waiting if it
    waits for others (``after``).

    Raises ``InvalidJobError`` with a one-line reason prefixed by ``where``.
    """
    try:
        return _build(data, now)
    except InvalidJobError as exc:
        raise InvalidJobError(f"{where}: {exc}") from None
    except RecursionError:  # a payload deeper than Python recurses, from the Python API
        raise InvalidJobError(
            f"{where}: payload is nested too deeply (at most {limits.PAYLOAD_DEPTH} levels)"
        ) from None


def _build(data: Mapping[str, Any], now: float) -> Job:
    if data.keys() - _KNOWN:
        unknown = sorted(map(_field_name, data.keys() - _KNOWN))
        raise InvalidJobError(
            f"unknown field{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
            f"known fields: {', '.join(FIELDS)}"
        )
    job_type = _text(data, "type", _TYPE, "an executor or handler name") or "shell"
    needs = executors.declared(job_type)  # what its executor asks of a job
    command = _command(data, needs)
    payload = data.get("payload")
    _payload(payload, needs)
    timeout = _seconds(data, "timeout", limits.TIMEOUT)
    next_run_at = _next_run_at(data, now)
    expires_at = _expires_at(data, now, next_run_at)
    after = _after(data)
    after_any = _after_any(data, after)
    unique = _unique(data)
    return Job(
        id=_text(
            data,
            "id",
            _ID,
            f"1-{limits.ID_LENGTH} {limits.ID_CHARACTERS} (starting with a letter or digit)",
        )
        or new_id(),
        command=command,
        type=job_type,
        payload=payload,
        queue=_text(
            data,
            "queue",
            _QUEUE,
            f"1-{limits.QUEUE_LENGTH} {limits.QUEUE_CHARACTERS} (starting with a letter or digit)",
        )
        or "default",
        priority=_priority(data),
        max_retries=_int(data, "max_retries", limits.MAX_RETRIES),
        timeout=timeout,
        state=State.WAITING if after else State.PENDING,
        created_at=now,
        updated_at=now,
        next_run_at=next_run_at,
        expires_at=expires_at,
        after=after,
        after_any=after_any,
        **unique,
        **_process(data, needs, job_type),
        **_retry_rules(data),
    )
