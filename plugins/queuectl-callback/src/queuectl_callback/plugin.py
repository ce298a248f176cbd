"""The ``callback`` plugin: runs ``callback_command`` on the chosen job events."""

from __future__ import annotations

import atexit
from collections.abc import Callable
from datetime import datetime

from queuectl_callback.environment import callback_environ
from queuectl_callback.options import SETTINGS
from queuectl_callback.runner import CallbackRunner
from queuectl_core.job import Attempt, Job, WorkerInfo
from queuectl_core.live_settings import LiveSettings
from queuectl_core.plugins import hookimpl
from queuectl_core.settings import Setting

RUNNER = CallbackRunner()
SOURCE = LiveSettings()


def _notify(
    event: str, job: Job, attempt: Attempt | None = None, retry_at: datetime | None = None
) -> None:
    RUNNER.reap()
    settings = SOURCE.get()
    command = settings["callback_command"]
    if not command or event not in settings["callback_events"].split(","):
        return
    environ = callback_environ(event, job, attempt, retry_at)
    RUNNER.start(command, environ, settings["callback_timeout"])


def _shutdown() -> None:
    RUNNER.drain()
    SOURCE.close()


atexit.register(_shutdown)


@hookimpl
def queuectl_register_settings(register: Callable[[Setting], None]) -> None:
    for setting in SETTINGS:
        register(setting)


@hookimpl
def queuectl_job_enqueued(job: Job) -> None:
    _notify("enqueued", job)


@hookimpl
def queuectl_job_started(job: Job, attempt: int, worker: WorkerInfo) -> None:
    _notify("started", job)


@hookimpl
def queuectl_job_succeeded(job: Job, attempt: Attempt) -> None:
    _notify("succeeded", job, attempt)


@hookimpl
def queuectl_job_failed(job: Job, attempt: Attempt, retry_at: datetime) -> None:
    _notify("failed", job, attempt, retry_at)


@hookimpl
def queuectl_job_dead(job: Job, attempt: Attempt | None) -> None:
    _notify("dead", job, attempt)


@hookimpl
def queuectl_job_cancelled(job: Job) -> None:
    _notify("cancelled", job)


@hookimpl
def queuectl_worker_stopped(worker: WorkerInfo) -> None:
    _shutdown()
