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
from queuectl_core.notify import chosen, job_event_hooks
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
    if not command or not chosen(event, settings["callback_events"]):
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


# queuectl_job_enqueued, _started, _succeeded, _failed, _dead and _cancelled call _notify
globals().update(job_event_hooks(_notify))


@hookimpl
def queuectl_worker_stopped(worker: WorkerInfo) -> None:
    _shutdown()
