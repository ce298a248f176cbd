"""The options of a job that backends keep together, as one JSON text.

Most jobs have none of them, so a backend stores ``None`` (SQL NULL, an absent hash
field) for a plain job and pays nothing; a new option needs no change of schema in
any backend. Backends call :func:`to_text` when storing a job and :func:`applied`
when reading one; what cannot be read makes ``options`` an unreadable field (see
:mod:`queuectl_core.stored`), never an error.
"""

from __future__ import annotations

import json
from typing import Any

from queuectl_core import stored
from queuectl_core.job import Job, State

#: Each option's name (as a ``Job`` attribute and a JSON key) and its default.
DEFAULTS: dict[str, Any] = {
    "expires_at": None,
    "after": (),
    "after_any": False,
    "unique_key": None,
    "unique_for": None,
    "unique_while": None,
    "schedule": None,
    "cwd": None,
    "env": {},
    "backoff_jitter": None,
    "retry_on_exit": None,
    "no_retry_exit": None,
}
#: Options whose JSON list is a tuple on the job.
_TUPLES = frozenset(("after", "retry_on_exit", "no_retry_exit"))


def of(job: Job) -> dict[str, Any]:
    """The job's options that differ from their default."""
    return {
        name: getattr(job, name)
        for name, default in DEFAULTS.items()
        if getattr(job, name) != default
    }


def to_text(job: Job) -> str | None:
    """The job's options as compact JSON, or ``None`` when it has none."""
    if (  # the common case, tested without building anything
        job.expires_at is None
        and not job.after
        and job.unique_key is None
        and job.unique_for is None
        and job.unique_while is None
        and job.schedule is None
        and job.cwd is None
        and not job.env
        and job.backoff_jitter is None
        and job.retry_on_exit is None
        and job.no_retry_exit is None
        and not job.after_any
    ):
        return None
    return json.dumps(of(job), separators=(",", ":"), ensure_ascii=False)


def applied(job: Job, text: str | None) -> Job:
    """``job`` with the options stored as ``text``; an ``options`` text queuectl cannot
    read leaves the defaults and names ``options`` in ``unreadable``."""
    if text is None:
        return job
    values = _read(text)
    if values is None:
        return job.evolve(unreadable=(*job.unreadable, "options"))
    return job.evolve(**values)


def _read(text: str) -> dict[str, Any] | None:
    """The options in ``text`` as job attributes, or ``None`` if any is malformed."""
    data = stored.json_value(text)
    if not isinstance(data, dict):
        return None
    values: dict[str, Any] = {}
    for name, value in data.items():
        if name not in DEFAULTS:
            continue  # an option of a newer queuectl: kept in storage, not shown
        checked = _checked(name, value)
        if checked is _BAD:
            return None
        values[name] = checked
    return values


_BAD = object()


def _checked(name: str, value: Any) -> Any:
    """``value`` as the type of option ``name``, or ``_BAD``."""
    if value is None:
        return value if DEFAULTS[name] is None else _BAD
    if name == "expires_at" or name == "unique_for":
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        return float(value) if ok else _BAD
    if name == "after_any" or name == "backoff_jitter":
        return value if isinstance(value, bool) else _BAD
    if name == "env":
        ok = isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
        return value if ok else _BAD
    if name == "unique_while":
        known = {state.value: state for state in State}
        if not isinstance(value, list) or not all(
            isinstance(item, str) and item in known for item in value
        ):
            return _BAD
        return tuple(known[item] for item in value)
    if name in _TUPLES:
        kind = str if name == "after" else int
        if not isinstance(value, list) or not all(
            isinstance(item, kind) and not isinstance(item, bool) for item in value
        ):
            return _BAD
        return tuple(value)
    return value if isinstance(value, str) else _BAD
