"""The ``QUEUECTL_*`` variables a callback sees."""

from __future__ import annotations

import json

from queuectl_core.pluginkit.notifier import JobEvent
from queuectl_core.serialize import job_view


def callback_environ(event: JobEvent) -> dict[str, str]:
    """The job's fields as environment variables for the callback of ``event``."""
    job, attempt, retry_at = event.job, event.attempt, event.retry_at
    env = {
        "QUEUECTL_EVENT": event.name,
        "QUEUECTL_JOB_ID": job.id,
        "QUEUECTL_JOB_STATE": job.state.value,
        "QUEUECTL_JOB_COMMAND": job.command,
        "QUEUECTL_JOB_QUEUE": job.queue,
        "QUEUECTL_JOB_ATTEMPTS": str(job.attempts),
        "QUEUECTL_JOB_ERROR": job.last_error or "",
        "QUEUECTL_JOB_JSON": json.dumps(job_view(job), default=str),
    }
    if attempt is not None:
        code = attempt.exit_code
        env["QUEUECTL_EXIT_CODE"] = "" if code is None else str(code)
    if retry_at is not None:
        env["QUEUECTL_RETRY_AT"] = retry_at.isoformat()
    return env
