"""Converting between Redis hashes and the job model.

A job is one hash of text fields; a field that is ``None`` is absent. Floats are
written with ``repr`` (exact round trip), JSON values (payload, result) as compact
JSON. Script arguments mark optional values: ``""`` is none, ``"=" + text`` a value.
Reading never fails on a hash's values: what cannot be read is a placeholder, named
in ``Job.unreadable`` (see :mod:`queuectl_core.stored`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from queuectl_core import job_options, limits, progress, stored
from queuectl_core.job import Attempt, Job, State, WorkerInfo

Fields = Mapping[bytes, bytes]


def optional(value: str | bytes | None) -> str | bytes:
    """A script argument for a value that may be ``None``."""
    if value is None:
        return ""
    return b"=" + value if isinstance(value, bytes) else "=" + value


def to_json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, separators=(",", ":"))


def pairs(flat: Sequence[bytes]) -> dict[bytes, bytes]:
    """A field/value list (``HGETALL`` inside a script) as a dict."""
    return dict(zip(flat[::2], flat[1::2], strict=True))


#: The fields of a job's hash, in the order :func:`job_values` gives them.
JOB_FIELDS = (
    "id", "command", "type", "payload", "queue", "priority", "score", "max_retries",
    "timeout", "state", "attempts", "created_at", "updated_at", "next_run_at", "worker_id",
    "lease_expires_at", "last_error", "result", "options",
)  # fmt: skip


def job_values(job: Job) -> list[str | None]:
    """The values of a job's hash fields (:data:`JOB_FIELDS`), ``None`` where absent;
    its ``score`` orders ready jobs: ``-priority``."""
    return [
        job.id,
        job.command,
        job.type,
        to_json(job.payload),
        job.queue,
        str(job.priority),
        str(-job.priority),
        _text(job.max_retries),
        _text(job.timeout),
        job.state.value,
        str(job.attempts),
        repr(job.created_at),
        repr(job.updated_at),
        repr(job.next_run_at),
        job.worker_id,
        _text(job.lease_expires_at),
        job.last_error,
        to_json(job.result),
        job_options.to_text(job),
    ]


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return repr(value) if isinstance(value, float) else str(value)


def job_from_fields(fields: Fields) -> Job:
    """A job from its hash."""
    try:
        text = {name.decode(): value.decode() for name, value in fields.items()}
    except UnicodeDecodeError:
        text = {stored.text(name): stored.text(value) for name, value in fields.items()}
    return job_from_text(text)


def job_from_text(fields: Mapping[str, str]) -> Job:
    """A job from its hash, names and values as text (a script's JSON answer)."""

    def number(name: str) -> float | None:
        value = fields.get(name)
        return None if value is None else float(value)

    def integer(name: str) -> int | None:
        value = fields.get(name)
        return None if value is None else int(value)

    try:
        job = Job(
            id=fields["id"],
            command=fields["command"],
            type=fields["type"],
            payload=stored.json_value(fields.get("payload")),
            queue=fields["queue"],
            priority=int(fields["priority"]),
            max_retries=integer("max_retries"),
            timeout=number("timeout"),
            state=State(fields["state"]),
            attempts=int(fields["attempts"]),
            created_at=float(fields["created_at"]),
            updated_at=float(fields["updated_at"]),
            next_run_at=float(fields["next_run_at"]),
            worker_id=fields.get("worker_id"),
            lease_expires_at=number("lease_expires_at"),
            last_error=fields.get("last_error"),
            result=stored.json_value(fields.get("result")),
        )
    except (KeyError, ValueError, OverflowError):
        job = _as_stored(fields)
    options = fields.get("options")
    job = stored.readable(job)
    if options is not None:
        job = job_options.applied(job, options)
    reported = progress.from_text(fields.get("progress"))
    return job if reported is None else job.evolve(progress=reported)


def _as_stored(fields: Mapping[str, Any]) -> Job:
    """A job of the hash's values as they are, for :func:`stored.readable` to read."""
    missing: Any = None  # a required field that is absent: unreadable
    get = fields.get
    return Job(
        id=get("id", missing),
        command=get("command", missing),
        type=get("type", missing),
        payload=stored.json_value(get("payload")),
        queue=get("queue", missing),
        priority=get("priority", missing),
        max_retries=get("max_retries"),
        timeout=get("timeout"),
        state=stored.state(get("state")),
        attempts=get("attempts", missing),
        created_at=get("created_at", missing),
        updated_at=get("updated_at", missing),
        next_run_at=get("next_run_at", missing),
        worker_id=get("worker_id"),
        lease_expires_at=get("lease_expires_at"),
        last_error=get("last_error"),
        result=stored.json_value(get("result")),
    )


#: The fields a claim reads from a job's hash, in the order :func:`claimed_job` takes
#: them (the scripts get them as their ``CLAIM_FIELDS``); the others are what claiming
#: sets.
CLAIM_FIELDS = (
    "id", "command", "type", "payload", "queue", "priority", "max_retries", "timeout",
    "created_at", "next_run_at", "last_error", "result", "options",
)  # fmt: skip


def claimed_job(
    values: Sequence[Any], attempts: int, worker_id: str, now: float, lease_until: float
) -> Job:
    """A job as claiming left it, from its :data:`CLAIM_FIELDS` (text; ``False`` where
    absent, as a script's JSON answer gives them)."""
    (
        job_id, command, type_, payload, queue, priority, max_retries, timeout,
        created_at, next_run_at, last_error, result, options,
    ) = values  # fmt: skip
    try:
        job = Job(
            id=job_id,
            command=command,
            type=type_,
            payload=None if payload is False else stored.json_value(payload),
            queue=queue,
            priority=int(priority),
            max_retries=None if max_retries is False else int(max_retries),
            timeout=None if timeout is False else float(timeout),
            state=State.PROCESSING,
            attempts=attempts,
            created_at=float(created_at),
            updated_at=now,
            next_run_at=float(next_run_at),
            worker_id=worker_id,
            lease_expires_at=lease_until,
            last_error=None if last_error is False else last_error,
            result=None if result is False else stored.json_value(result),
        )
    except (TypeError, ValueError, OverflowError):
        fields = dict(zip(CLAIM_FIELDS, values, strict=True))
        fields.update(
            state=State.PROCESSING.value,
            attempts=attempts,
            updated_at=now,
            worker_id=worker_id,
            lease_expires_at=lease_until,
        )
        job = _as_stored({name: value for name, value in fields.items() if value is not False})
    job = stored.readable(job)
    return job if options is False else job_options.applied(job, options)


def claimed_rows(answer: bytes) -> list[list[Any]]:
    """The claimed jobs in a script's JSON answer; text in it that is not UTF-8 comes
    back as :class:`stored.NotUtf8`, so that the job is read as unreadable."""
    try:
        rows: list[list[Any]] = json.loads(answer)
    except UnicodeDecodeError:
        rows = json.loads(answer.decode("utf-8", "surrogateescape"))
        return [[_marked(value) for value in row] for row in rows]
    return rows


def _marked(value: Any) -> Any:
    if isinstance(value, str) and not limits.is_unicode(value):
        return stored.NotUtf8(value.encode("utf-8", "surrogateescape"))
    return value


def attempt_from_fields(job_id: str, number: int, fields: Fields) -> Attempt:
    """Attempt ``number`` of a job from its hash."""
    finished_at, exit_code, error = (
        fields.get(name) for name in (b"finished_at", b"exit_code", b"error")
    )
    try:
        attempt = Attempt(
            job_id=job_id,
            number=number,
            worker_id=stored.text(fields[b"worker_id"]),
            started_at=float(fields[b"started_at"]),
            outcome=stored.outcome(stored.text(fields[b"outcome"])),
            finished_at=None if finished_at is None else float(finished_at),
            exit_code=None if exit_code is None else int(exit_code),
            error=None if error is None else stored.text(error),
            stdout=fields.get(b"stdout", b""),
            stderr=fields.get(b"stderr", b""),
            stdout_dropped=int(fields.get(b"stdout_dropped", 0)),
            stderr_dropped=int(fields.get(b"stderr_dropped", 0)),
        )
    except (KeyError, ValueError, OverflowError):
        attempt = Attempt(
            job_id=job_id,
            number=number,
            worker_id=fields.get(b"worker_id", b"?"),  # type: ignore[arg-type]
            started_at=fields.get(b"started_at"),  # type: ignore[arg-type]
            outcome=stored.outcome(stored.text(fields.get(b"outcome", b"?"))),
            finished_at=finished_at,  # type: ignore[arg-type]
            exit_code=exit_code,  # type: ignore[arg-type]
            error=error,  # type: ignore[arg-type]
            stdout=fields.get(b"stdout", b""),
            stderr=fields.get(b"stderr", b""),
            stdout_dropped=fields.get(b"stdout_dropped", 0),  # type: ignore[arg-type]
            stderr_dropped=fields.get(b"stderr_dropped", 0),  # type: ignore[arg-type]
        )
    return stored.readable_attempt(attempt)


def worker_info_json(worker: WorkerInfo) -> str:
    """What a worker's entry keeps as JSON (times and the stop flag are fields)."""
    data = {
        "host": worker.host,
        "pid": worker.pid,
        "queues": list(worker.queues),
        "extra": worker.extra,
    }
    return json.dumps(data, separators=(",", ":"))


def worker_from_fields(worker_id: str, fields: Fields) -> WorkerInfo:
    info = json.loads(fields[b"info"])
    return WorkerInfo(
        id=worker_id,
        host=info["host"],
        pid=info["pid"],
        queues=tuple(info["queues"]),
        started_at=float(fields[b"started_at"]),
        heartbeat_at=float(fields[b"heartbeat_at"]),
        stop_requested=fields.get(b"stop") == b"1",
        extra=info["extra"],
    )
