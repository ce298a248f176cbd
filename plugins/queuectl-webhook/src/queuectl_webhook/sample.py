"""A made-up job and attempt for ``queuectl webhook test``, shaped like a real event's."""

from __future__ import annotations

import time
from datetime import datetime, timezone

from queuectl_core.job import Attempt, Job, Outcome, State
from queuectl_core.pluginkit.notifier import JobEvent
from queuectl_webhook.event import Delivery, new_delivery

SAMPLE_JOB_ID = "webhook-test"

_STATES = {
    "succeeded": State.COMPLETED,
    "failed": State.FAILED,
    "dead": State.DEAD,
    "cancelled": State.CANCELLED,
    "enqueued": State.PENDING,
    "started": State.PROCESSING,
}


def sample_delivery(event: str) -> Delivery:
    """A delivery of ``event`` for a sample job, marked ``"test": true``."""
    now = time.time()
    state = _STATES[event]
    ran = state in (State.COMPLETED, State.FAILED, State.DEAD, State.PROCESSING)
    error = "exit code 1" if state in (State.FAILED, State.DEAD) else None
    job = Job(
        id=SAMPLE_JOB_ID,
        command="echo 'queuectl webhook test'",
        state=state,
        attempts=1 if ran else 0,
        max_retries=0 if state is State.DEAD else 3,
        created_at=now - 2,
        updated_at=now,
        next_run_at=now + 2 if state is State.FAILED else now - 2,
        last_error=error,
    )
    attempt = None
    if event in ("succeeded", "failed", "dead"):
        attempt = Attempt(
            job_id=SAMPLE_JOB_ID,
            number=1,
            worker_id="webhook-test",
            started_at=now - 1,
            outcome=Outcome.SUCCEEDED if event == "succeeded" else Outcome.FAILED,
            finished_at=now,
            exit_code=0 if event == "succeeded" else 1,
            error=error,
        )
    retry_at = datetime.fromtimestamp(now + 2, timezone.utc) if event == "failed" else None
    return new_delivery(JobEvent(event, job, attempt, retry_at), test=True)
