"""The ``webhook`` plugin: POSTs the chosen job events to ``webhook_urls``.

Hooks only queue the event (see :mod:`queuectl_webhook.dispatcher`); the HTTP
machinery is imported the first time there is something to send, so commands
that send nothing do not pay for it.
"""

from __future__ import annotations

import atexit
import os
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from queuectl_core.hookspecs import hookimpl
from queuectl_core.job import Attempt, Job, WorkerInfo
from queuectl_core.pluginkit.lazy import Lazy
from queuectl_core.pluginkit.notifier import chosen
from queuectl_core.settings import Setting, Settings
from queuectl_webhook.options import SETTINGS

if TYPE_CHECKING:
    import click

    from queuectl_webhook.dispatcher import Dispatcher


def _new_dispatcher() -> Dispatcher:
    from queuectl_webhook.dispatcher import Dispatcher

    dispatcher = Dispatcher()
    os.register_at_fork(after_in_child=dispatcher.forget)
    return dispatcher


DISPATCHER = Lazy(_new_dispatcher)  # made by the first event


def _notify(
    event: str,
    job: Job,
    settings: Settings,
    attempt: Attempt | None = None,
    retry_at: datetime | None = None,
) -> None:
    urls = settings["webhook_urls"].split()
    if not urls or not chosen(event, settings["webhook_events"]):
        return
    from queuectl_webhook.event import new_delivery
    from queuectl_webhook.retries import Policy

    policy = Policy(
        settings["webhook_secret"], settings["webhook_timeout"], settings["webhook_retries"]
    )
    DISPATCHER.get().send(urls, new_delivery(event, job, attempt, retry_at), policy)


def _shutdown() -> None:
    if (dispatcher := DISPATCHER.made) is not None:
        dispatcher.close()


atexit.register(_shutdown)


@hookimpl
def queuectl_register_settings(register: Callable[[Setting], None]) -> None:
    for setting in SETTINGS:
        register(setting)


@hookimpl
def queuectl_register_commands(cli: click.Group) -> None:
    from queuectl_webhook.command import webhook

    cli.add_command(webhook)


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
