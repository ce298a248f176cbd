"""The ``callback`` plugin: runs ``callback_command`` on the chosen job events.

Kept import-light: every ``queuectl`` command loads the plugin, so the runner
(``subprocess``) and the job's environment load with the first callback to start.
"""

from __future__ import annotations

import atexit
from collections.abc import Callable
from typing import TYPE_CHECKING

from queuectl_callback.options import SETTINGS
from queuectl_core.hookspecs import hookimpl
from queuectl_core.pluginkit.lazy import Lazy
from queuectl_core.pluginkit.notifier import chosen

if TYPE_CHECKING:
    from datetime import datetime

    from queuectl_callback.runner import CallbackRunner
    from queuectl_core.job import Attempt, Job, WorkerInfo
    from queuectl_core.settings import Setting, Settings


def _new_runner() -> CallbackRunner:
    from queuectl_callback.runner import CallbackRunner

    return CallbackRunner()


RUNNER = Lazy(_new_runner)  # made for the first callback


def _notify(
    event: str,
    job: Job,
    settings: Settings,
    attempt: Attempt | None = None,
    retry_at: datetime | None = None,
) -> None:
    if (runner := RUNNER.made) is not None:
        runner.reap()
    command = settings["callback_command"]
    if not command or not chosen(event, settings["callback_events"]):
        return
    from queuectl_callback.environment import callback_environ

    environ = callback_environ(event, job, attempt, retry_at)
    RUNNER.get().start(command, environ, settings["callback_timeout"])


def _shutdown() -> None:
    if (runner := RUNNER.made) is not None:
        runner.drain()


atexit.register(_shutdown)


@hookimpl
def queuectl_register_settings(register: Callable[[Setting], None]) -> None:
    for setting in SETTINGS:
        register(setting)


@hookimpl
def queuectl_job_enqueued(job: Job, settings: Settings) -> None:
    _notify("enqueued", job, settings)


@hookimpl
def queuectl_job_started(job: Job, settings: Settings) -> None:
    _notify("started", job, settings)


@hookimpl
def queuectl_job_succeeded(job: Job, attempt: Attempt, settings: Settings) -> None:
    _notify("succeeded", job, settings, attempt)


@hookimpl
def queuectl_job_failed(job: Job, attempt: Attempt, retry_at: datetime, settings: Settings) -> None:
    _notify("failed", job, settings, attempt, retry_at)


@hookimpl
def queuectl_job_dead(job: Job, attempt: Attempt | None, settings: Settings) -> None:
    _notify("dead", job, settings, attempt)


@hookimpl
def queuectl_job_cancelled(job: Job, settings: Settings) -> None:
    _notify("cancelled", job, settings)


@hookimpl
def queuectl_worker_stopped(worker: WorkerInfo) -> None:
    _shutdown()
