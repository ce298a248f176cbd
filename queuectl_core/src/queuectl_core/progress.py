"""What a running job reports of itself: progress, and extending its own timeout.

A shell job's command sees its job id in ``QUEUECTL_JOB_ID`` and its attempt's
fencing token in ``QUEUECTL_JOB_TOKEN`` (see :mod:`queuectl_core.executors.shell`).
``queuectl progress`` and ``queuectl heartbeat --extend`` present that token to the
backend (:class:`~queuectl_core.storage.ProgressStore`): once the attempt has ended
(finished, cancelled, recovered, claimed anew) the token no longer holds the job and
nothing is written. The token is the attempt's own credential: it is never logged nor
shown (``show --json`` has no such field).

Progress is kept when the attempt ends (``show`` of a failed job says how far it
got) and cleared when the next attempt starts. An extension adds to the attempt's
timeout, in total at most the ``max_timeout_extension`` setting (more is capped, and
an extension with nothing left to grant is refused). The worker learns of it only
when the timeout comes: it then reads the total granted (one read, paid only by
attempts that reach their timeout) and keeps running the job if it grew.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Mapping
from typing import Any

from queuectl_core.errors import QueuectlError
from queuectl_core.job import PROGRESS_MESSAGE_CHARS, Progress
from queuectl_core.storage import ProgressStore
from queuectl_core.units import iso

#: The variables that name the running job and its attempt's token.
JOB_ID_VARIABLE = "QUEUECTL_JOB_ID"
TOKEN_VARIABLE = "QUEUECTL_JOB_TOKEN"


class ProgressError(QueuectlError):
    """A progress report or an extension that is refused."""


def credentials(env: Mapping[str, str] | None = None) -> tuple[str, str]:
    """The running job's id and token from ``env`` (default: this process's)."""
    env = os.environ if env is None else env
    job_id, token = env.get(JOB_ID_VARIABLE), env.get(TOKEN_VARIABLE)
    if not job_id or not token:
        raise ProgressError(
            f"not inside a running job: {JOB_ID_VARIABLE} and {TOKEN_VARIABLE} are not set"
        )
    return job_id, token


def checked(percent: float, message: str | None, now: float) -> Progress:
    """A progress report, or ``ProgressError`` for a bad percent or message."""
    if not math.isfinite(percent) or not 0 <= percent <= 100:
        raise ProgressError(f"progress must be a number from 0 to 100, not {percent:g}")
    if message is not None:
        if "\n" in message or "\r" in message:
            raise ProgressError("the progress message must be one line")
        if len(message) > PROGRESS_MESSAGE_CHARS:
            raise ProgressError(
                f"the progress message is {len(message)} characters long; "
                f"at most {PROGRESS_MESSAGE_CHARS}"
            )
        message = message or None
    return Progress(float(percent), message, now)


def report(
    storage: ProgressStore, job_id: str, token: str, percent: float, message: str | None, now: float
) -> Progress:
    """Store the running attempt's progress; ``ProgressError`` if refused."""
    progress = checked(percent, message, now)
    if not storage.set_progress(job_id, token, progress):
        raise ProgressError(stale(job_id))
    return progress


def extend(
    storage: ProgressStore, job_id: str, token: str, seconds: float, maximum: float
) -> tuple[float, float]:
    """Extend the running attempt's timeout by ``seconds``, the total capped at
    ``maximum``; returns (seconds added, total granted). ``ProgressError`` if the
    token is stale, or if nothing could be added."""
    if seconds <= 0:
        raise ProgressError("the extension must be longer than 0s")
    before = storage.extend_timeout(job_id, token, 0, maximum)
    total = None if before is None else storage.extend_timeout(job_id, token, seconds, maximum)
    if before is None or total is None:
        raise ProgressError(stale(job_id))
    if total <= before:
        raise ProgressError(
            f"job {job_id}: its timeout is extended by {before:g}s already, "
            f"the most max_timeout_extension allows ({maximum:g}s)"
        )
    return total - before, total


def stale(job_id: str) -> str:
    return f"job {job_id}: this attempt no longer holds the job (ended, cancelled or lost)"


def granted_reader(storage: ProgressStore, job_id: str, token: str) -> Callable[[], float]:
    """What an executor calls when a timeout comes: the seconds the attempt's timeout
    is extended by now (0 when the storage cannot say: the timeout then holds)."""

    def granted() -> float:
        try:
            total = storage.extend_timeout(job_id, token, 0, 0)
        except Exception:
            return 0.0
        return total or 0.0

    return granted


def to_text(progress: Progress) -> str:
    """How backends store a progress report: one JSON text."""
    view: dict[str, Any] = {"percent": progress.percent, "at": progress.at}
    if progress.message is not None:
        view["message"] = progress.message
    return json.dumps(view, separators=(",", ":"))


def from_text(text: str | bytes | None) -> Progress | None:
    """A stored progress report; ``None`` for none or one that cannot be read."""
    if text is None:
        return None
    try:
        view = json.loads(text)
        percent, at, message = float(view["percent"]), float(view["at"]), view.get("message")
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
    if not isinstance(message, str):
        message = None
    return Progress(percent, message, at)


def view(progress: Progress | None) -> dict[str, Any] | None:
    """A progress report as ``--json`` shows it."""
    if progress is None:
        return None
    return {"percent": progress.percent, "message": progress.message, "at": iso(progress.at)}


def text(progress: Progress) -> str:
    """``40%`` or ``40%: message``."""
    percent = f"{progress.percent:g}%"
    return percent if progress.message is None else f"{percent}: {progress.message}"
