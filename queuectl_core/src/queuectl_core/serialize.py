"""JSON views of jobs, attempts, workers and schedules, shared by the CLI and notification plugins.

Every ``--json`` output uses these, one shape per kind of object; docs/json.md
documents each (and tests/e2e/test_json_shapes.py holds the commands to it).

Times are ISO 8601 UTC strings, states and outcomes plain strings. Captured output
is UTF-8 text (undecodable bytes replaced); when the bytes are not valid UTF-8 the
exact bytes are added as ``<stream>_base64``.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from queuectl_core import progress
from queuectl_core.job import Attempt, Job, State, WorkerInfo

if TYPE_CHECKING:
    from queuectl_core.schedules.model import Schedule
from queuectl_core.units import iso

#: The keys of :func:`job_view`, in order (the CSV columns of ``list --format csv``).
JOB_FIELDS = (
    "id", "state", "command", "type", "payload", "queue", "priority", "attempts",
    "max_retries", "timeout", "created_at", "updated_at", "next_run_at", "worker_id",
    "lease_expires_at", "last_error", "result", "expires_at", "after", "after_any",
    "unique_key", "unique_for", "unique_while", "schedule", "cwd", "env", "backoff_jitter",
    "retry_on_exit", "no_retry_exit", "unreadable", "progress",
)  # fmt: skip
#: What ``env`` shows instead of each value: a job's variables often hold secrets.
HIDDEN = "********"


def job_view(job: Job) -> dict[str, Any]:
    """A job as a JSON-able dict (``max_retries``/``timeout`` and the retry rules
    ``None``: the setting; ``env``: its names only, each value hidden;
    ``unreadable``: fields whose stored value shows as a placeholder)."""
    return {
        "id": job.id,
        "state": job.state.value,
        "command": job.command,
        "type": job.type,
        "payload": job.payload,
        "queue": job.queue,
        "priority": job.priority,
        "attempts": job.attempts,
        "max_retries": job.max_retries,
        "timeout": job.timeout,
        "created_at": iso(job.created_at),
        "updated_at": iso(job.updated_at),
        "next_run_at": iso(job.next_run_at),
        "worker_id": job.worker_id,
        "lease_expires_at": iso(job.lease_expires_at),
        "last_error": job.last_error,
        "result": job.result,
        "expires_at": iso(job.expires_at),
        "after": list(job.after),
        "after_any": job.after_any,
        "unique_key": job.unique_key,
        "unique_for": job.unique_for,
        "unique_while": None if job.unique_while is None else [s.value for s in job.unique_while],
        "schedule": job.schedule,
        "cwd": job.cwd,
        "env": dict.fromkeys(job.env, HIDDEN),
        "backoff_jitter": job.backoff_jitter,
        "retry_on_exit": None if job.retry_on_exit is None else list(job.retry_on_exit),
        "no_retry_exit": None if job.no_retry_exit is None else list(job.no_retry_exit),
        "unreadable": list(job.unreadable),  # fields stored with a value queuectl cannot read
        "progress": progress.view(job.progress),
    }


def output_view(name: str, data: bytes) -> dict[str, str]:
    """``{name: text}``, plus ``{name}_base64`` when ``data`` is not valid UTF-8."""
    try:
        return {name: data.decode("utf-8")}
    except UnicodeDecodeError:
        return {
            name: data.decode("utf-8", errors="replace"),
            f"{name}_base64": base64.b64encode(data).decode("ascii"),
        }


def attempt_view(attempt: Attempt, *, output: bool = True) -> dict[str, Any]:
    """One attempt; with ``output=False`` only the sizes of stdout and stderr."""
    view: dict[str, Any] = {
        "job_id": attempt.job_id,
        "number": attempt.number,
        "worker_id": attempt.worker_id,
        "outcome": attempt.outcome.value,
        "started_at": iso(attempt.started_at),
        "finished_at": iso(attempt.finished_at),
        "duration": attempt.duration,
        "exit_code": attempt.exit_code,
        "error": attempt.error,
        "stdout_bytes": len(attempt.stdout),
        "stderr_bytes": len(attempt.stderr),
        "stdout_dropped": attempt.stdout_dropped,
        "stderr_dropped": attempt.stderr_dropped,
    }
    if output:
        view.update(output_view("stdout", attempt.stdout))
        view.update(output_view("stderr", attempt.stderr))
    return view


def worker_view(
    worker: WorkerInfo, *, live: bool, current_jobs: Sequence[str] = ()
) -> dict[str, Any]:
    """A registered worker (``queues`` empty: every queue); ``live``: a heartbeat within
    the lease timeout; ``current_jobs``: the ids of the jobs it runs."""
    return {
        "id": worker.id,
        "host": worker.host,
        "pid": worker.pid,
        "queues": list(worker.queues),
        "started_at": iso(worker.started_at),
        "heartbeat_at": iso(worker.heartbeat_at),
        "stop_requested": worker.stop_requested,
        "live": live,
        "current_jobs": list(current_jobs),
        "extra": dict(worker.extra),
    }


def schedule_view(schedule: Schedule, last_state: State | None) -> dict[str, Any]:
    """A schedule (``every``: seconds; ``job``: its job template, ``env`` values
    hidden); ``last_state``: the state of its last run's job, ``None`` if it has had no
    run or the job is gone."""
    return {
        "name": schedule.name,
        "cron": schedule.cron,
        "timezone": schedule.timezone if schedule.cron is not None else None,
        "every": schedule.every,
        "job": template_view(schedule.job),
        "catch_up": schedule.catch_up.value,
        "overlap": schedule.overlap.value,
        "paused": schedule.paused,
        "next_run_at": iso(schedule.next_run_at),
        "last_run_at": iso(schedule.last_run_at),
        "last_job_id": schedule.last_job_id,
        "last_state": None if last_state is None else last_state.value,
        "created_at": iso(schedule.created_at),
        "updated_at": iso(schedule.updated_at),
        "unreadable": schedule.unreadable,
    }


def template_view(template: dict[str, Any]) -> dict[str, Any]:
    """A schedule's job template with the values of ``env`` hidden (as a mapping, or as
    ``KEY=VALUE`` texts)."""
    env = template.get("env")
    if isinstance(env, dict):
        return {**template, "env": dict.fromkeys(env, HIDDEN)}
    if isinstance(env, list):
        hidden = [f"{str(item).partition('=')[0]}={HIDDEN}" for item in env]
        return {**template, "env": hidden}
    return dict(template)
