"""What plugins that tell the outside world about jobs share (a command, webhooks, ...).

Such a plugin reacts to the six job events the same way: it has a setting that
chooses events (``*_events``, stored as ``"succeeded,dead"``) and one function
``notify(event, job, attempt, retry_at)`` that each job hook calls. This module
names the events and builds that setting; the plugin writes its hooks as plain
functions, so ``queuectl plugins``, tracebacks and mypy see them::

    SETTINGS = (events_setting("mail_events", "that send a mail"), ...)

    def notify(event, job, attempt=None, retry_at=None):
        if chosen(event, LIVE_SETTINGS.get()["mail_events"]):
            ...

    @hookimpl
    def queuectl_job_dead(job, attempt):
        notify("dead", job, attempt)

``job_event_hooks`` (the six hooks made around ``notify``, put in the module with
``globals().update``) stays for plugins written that way; it is deprecated.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from queuectl_core.hookspecs import hookimpl
from queuectl_core.job import Attempt, Job
from queuectl_core.settings import Setting

#: The job events, in the order a value of an events setting lists them.
JOB_EVENTS = ("succeeded", "failed", "dead", "cancelled", "enqueued", "started")


class Notify(Protocol):
    """What each job hook calls: ``attempt`` for succeeded, failed and (when the job
    ran) dead; ``retry_at`` for failed."""

    def __call__(
        self,
        event: str,
        job: Job,
        attempt: Attempt | None = None,
        retry_at: datetime | None = None,
    ) -> None: ...


def parse_events(text: str) -> str:
    """``" succeeded, dead"`` as ``"succeeded,dead"``; unknown names are refused.

    The value stays text so it prints and serializes like every other setting.
    """
    names = {name.strip() for name in text.split(",") if name.strip()}
    unknown = sorted(names.difference(JOB_EVENTS))
    if unknown:
        raise ValueError(f"unknown event {unknown[0]!r}; choose from {','.join(JOB_EVENTS)}")
    return ",".join(name for name in JOB_EVENTS if name in names)


def events_setting(name: str, what: str, default: str = "dead") -> Setting:
    """The setting ``name``: the job events ``what`` (e.g. ``"that run callback_command"``)."""
    description = f"Comma-separated events {what}: {','.join(JOB_EVENTS)}."
    return Setting(name, default, parse_events, description)


def chosen(event: str, events: str) -> bool:
    """Whether ``events``, a value of an events setting, chooses ``event``."""
    return event in events.split(",")


def job_event_hooks(notify: Notify) -> dict[str, Callable[..., None]]:
    """The six job hook implementations by hook name, each calling ``notify``.

    Deprecated: write the hooks as plain ``@hookimpl`` functions calling ``notify``.
    """
    warnings.warn(
        "job_event_hooks is deprecated: write the job hooks as @hookimpl functions",
        DeprecationWarning,
        stacklevel=2,
    )

    def enqueued(job: Job) -> None:
        notify("enqueued", job)

    def started(job: Job) -> None:
        notify("started", job)

    def succeeded(job: Job, attempt: Attempt) -> None:
        notify("succeeded", job, attempt)

    def failed(job: Job, attempt: Attempt, retry_at: datetime) -> None:
        notify("failed", job, attempt, retry_at)

    def dead(job: Job, attempt: Attempt | None) -> None:
        notify("dead", job, attempt)

    def cancelled(job: Job) -> None:
        notify("cancelled", job)

    hooks: dict[str, Callable[..., None]] = {}
    for function in (enqueued, started, succeeded, failed, dead, cancelled):
        name = f"queuectl_job_{function.__name__}"
        function.__name__ = function.__qualname__ = name  # as tracebacks and logs show it
        hooks[name] = hookimpl(function)
    return hooks
