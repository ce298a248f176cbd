"""The JSON API: what each ``/api/`` endpoint does, independent of HTTP.

Every method returns JSON-able data (or text, for a raw log) and raises
:class:`ApiError` with the HTTP status that fits; domain errors from the queue are
translated by :func:`api_error`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from queuectl_core.errors import (
    InvalidStateError,
    NoSuchJobError,
    QueuectlError,
    StorageError,
)
from queuectl_core.job import Attempt, State
from queuectl_core.overview import overview
from queuectl_core.queue import Queue
from queuectl_core.serialize import attempt_view, job_view, schedule_view
from queuectl_core.why import explain

#: Query parameters as ``urllib.parse.parse_qs`` returns them.
Query = Mapping[str, Sequence[str]]

STATE_NAMES = tuple(state.value for state in State)
DEFAULT_LIMIT = 50
MAX_LIMIT = 500
STREAMS = ("stdout", "stderr")


class ApiError(Exception):
    """A request that cannot be answered: an HTTP status and a one-line reason."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}  # e.g. Allow, with a 405


def api_error(exc: QueuectlError) -> ApiError:
    """The HTTP status for a domain error: 404 unknown job, 409 wrong state, 503 backend."""
    if isinstance(exc, NoSuchJobError):
        status = 404
    elif isinstance(exc, InvalidStateError):
        status = 409
    elif isinstance(exc, StorageError):
        status = 503
    else:
        status = 400
    return ApiError(status, str(exc))


class Api:
    """The dashboard's operations on one open queue (shared by every request thread)."""

    def __init__(self, queue: Queue) -> None:
        self.queue = queue

    # -- reading -----------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """What ``queuectl status --json`` shows, plus the jobs each worker is running."""
        view = overview(self.queue)
        running = self._running_jobs(view["states"][State.PROCESSING.value])
        for worker in view["workers"]:
            worker["current_jobs"] = running.get(worker["id"], [])
        return view

    def _running_jobs(self, processing: int) -> dict[str, list[str]]:
        """Worker id -> ids of the jobs it holds."""
        running: dict[str, list[str]] = {}
        if processing:
            for job in self.queue.list_jobs(states=[State.PROCESSING], limit=processing):
                if job.worker_id:
                    running.setdefault(job.worker_id, []).append(job.id)
        return running

    def jobs(self, query: Query) -> dict[str, Any]:
        """One page of jobs, newest first, and how many match the filters in all."""
        states = parse_states(names(query, "state"))
        queues = names(query, "queue") or None
        limit = integer(query, "limit", 1, MAX_LIMIT) or DEFAULT_LIMIT
        offset = integer(query, "offset", 0, None) or 0
        jobs = self.queue.list_jobs(states=states, queues=queues, limit=limit, offset=offset)
        total = sum(
            count
            for (queue_name, state), count in self.queue.counts().items()
            if (states is None or state in states) and (queues is None or queue_name in queues)
        )
        return {
            "jobs": [job_view(job) for job in jobs],
            "total": total,
            "limit": limit,
            "offset": offset,
        }

    def job(self, job_id: str) -> dict[str, Any]:
        """A job, its attempt history (without output) and why it is where it is, as
        ``queuectl show --json``."""
        job = self.queue.get(job_id)
        view = job_view(job)
        view["history"] = [
            attempt_view(attempt, output=False) for attempt in self.queue.attempts(job_id)
        ]
        reason = explain(self.queue, job)
        view["why"] = {"reason": reason.code, "text": reason.text}
        return view

    def schedules(self) -> list[dict[str, Any]]:
        """Every schedule with its last run's state, as ``queuectl schedule list --json``."""
        return [
            schedule_view(schedule, self.queue.last_run_state(schedule))
            for schedule in self.queue.schedules()
        ]

    def logs(self, job_id: str, query: Query) -> dict[str, Any] | str:
        """An attempt's output (default: the last attempt's).

        Both streams as JSON text, as ``queuectl logs --json``; with ``stream``
        (stdout or stderr) that stream alone as plain text, undecodable bytes replaced.
        """
        attempt = self._attempt(job_id, integer(query, "attempt", 1, None))
        stream = single(query, "stream")
        if stream is None:
            return attempt_view(attempt)
        if stream not in STREAMS:
            raise ApiError(400, f"stream must be stdout or stderr, not {stream!r}")
        data = attempt.stdout if stream == "stdout" else attempt.stderr
        return data.decode("utf-8", errors="replace")

    def _attempt(self, job_id: str, number: int | None) -> Attempt:
        attempts = self.queue.attempts(job_id)
        if not attempts:
            raise ApiError(404, f"job {job_id!r} has not run yet")
        if number is None:
            return attempts[-1]
        for attempt in attempts:
            if attempt.number == number:
                return attempt
        known = ", ".join(str(attempt.number) for attempt in attempts)
        raise ApiError(404, f"job {job_id!r} has no attempt {number}; attempts: {known}")

    # -- changing ----------------------------------------------------------------------

    def cancel(self, job_id: str) -> dict[str, Any]:
        """Cancel a pending, failed or running job; returns it."""
        return job_view(self.queue.cancel(job_id))

    def retry_dead(self, body: Any) -> dict[str, Any]:
        """``{"ids": [...]}`` or ``{"all": true}``: dead jobs back to pending."""
        return {"retried": self.queue.retry_dead(dead_selection(body))}

    def purge_dead(self, body: Any) -> dict[str, Any]:
        """``{"ids": [...]}`` or ``{"all": true}``: delete dead jobs and their history."""
        return {"purged": self.queue.purge_dead(dead_selection(body))}


# -- validating what a request asks for ---------------------------------------------------


def names(query: Query, key: str) -> list[str]:
    """A repeatable, comma-separated parameter; empty values mean "any"."""
    given = (name.strip() for value in query.get(key, ()) for name in value.split(","))
    return [name for name in given if name]


def single(query: Query, key: str) -> str | None:
    values = query.get(key, ())
    if len(values) > 1:
        raise ApiError(400, f"{key} given more than once")
    return values[0] if values else None


def integer(query: Query, key: str, low: int, high: int | None) -> int | None:
    """A whole-number parameter within ``low..high``, or ``None`` when absent."""
    raw = single(query, key)
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, f"{key} must be a whole number, not {raw!r}") from None
    if value < low or (high is not None and value > high):
        bounds = f"from {low} to {high}" if high is not None else f"at least {low}"
        raise ApiError(400, f"{key} must be {bounds}, not {value}")
    return value


def parse_states(given: list[str]) -> list[State] | None:
    unknown = [name for name in given if name not in STATE_NAMES]
    if unknown:
        raise ApiError(400, f"unknown state {unknown[0]!r}; states: {', '.join(STATE_NAMES)}")
    return [State(name) for name in given] or None


def dead_selection(body: Any) -> list[str] | None:
    """The job ids a DLQ request names, or ``None`` for ``{"all": true}``."""
    if not isinstance(body, dict):
        raise ApiError(400, 'expected a JSON object: {"ids": [...]} or {"all": true}')
    unknown = sorted(set(body) - {"ids", "all"})
    if unknown:
        raise ApiError(400, f"unknown field {unknown[0]!r}; fields: ids, all")
    every = body.get("all", False)
    if not isinstance(every, bool):
        raise ApiError(400, '"all" must be true or false')
    ids = body.get("ids")
    if (ids is None) != every:
        raise ApiError(400, 'give "ids" or "all": true (not both)')
    if every:
        return None
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        raise ApiError(400, '"ids" must be a non-empty list of job ids')
    return ids
