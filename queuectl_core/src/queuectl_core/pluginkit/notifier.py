"""What plugins that tell the outside world about jobs share (a command, webhooks, ...).

Such a plugin reacts to the six job events the same way: a setting chooses the
events (``*_events``, stored as ``"succeeded,dead"``) and one method sends what a
chosen event says. :class:`Notifier` holds the six job hooks that check the
setting; a subclass names the setting and implements :meth:`Notifier.notify`,
and an instance is the plugin, named by its entry point
(``mail = "queuectl_mail.plugin:plugin"``). Its other hooks are methods too::

    class MailPlugin(Notifier):
        events_setting = "mail_events"

        @hookimpl
        def queuectl_register_settings(self, register):
            register(events_setting("mail_events", "that send a mail"))

        def notify(self, event, settings):
            send_mail(f"job {event.job.id} {event.name}")

    plugin = MailPlugin()

``job_event_hooks`` (the six hooks made around a function, put in a module with
``globals().update``) stays for plugins written that way; it is deprecated.
"""

from __future__ import annotations

import atexit
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar, Protocol

from queuectl_core.hookspecs import hookimpl
from queuectl_core.job import Attempt, Job
from queuectl_core.setting import Setting

if TYPE_CHECKING:
    from queuectl_core.settings import Settings

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


@dataclass(frozen=True, slots=True)
class JobEvent:
    """One job event as a notifier sees it: its ``name`` (one of :data:`JOB_EVENTS`),
    the ``job`` as the event left it, the ``attempt`` for succeeded, failed and (when
    the job ran) dead, and ``retry_at`` for failed."""

    name: str
    job: Job
    attempt: Attempt | None = None
    retry_at: datetime | None = None


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


class Notifier:
    """A plugin whose six job hooks call :meth:`notify` for the events it is set to.

    ``events_setting`` names the setting (made with :func:`events_setting` and
    registered by the subclass) whose value chooses the events. :meth:`close` runs
    when a worker stops cleanly and at process exit: send what is still queued there.
    """

    #: The name of the setting that chooses the events, e.g. ``"mail_events"``.
    events_setting: ClassVar[str]

    def __init__(self) -> None:
        atexit.register(self.close)

    def notify(self, event: JobEvent, settings: Settings) -> None:
        """Tell the world about ``event``; ``settings`` are those in force.

        Runs on the hook's thread: hand slow work to a thread of your own.
        """
        raise NotImplementedError

    def observe(self, event: JobEvent, settings: Settings) -> None:
        """What each job hook does: :meth:`notify` if the events setting chooses ``event``.

        Override it to act on every event too (then call ``super().observe(...)``).
        """
        if chosen(event.name, settings[self.events_setting]):
            self.notify(event, settings)

    def close(self) -> None:
        """Finish what is under way (a worker stopped, or the process exits); nothing here."""

    @hookimpl
    def queuectl_job_enqueued(self, job: Job, settings: Settings) -> None:
        self.observe(JobEvent("enqueued", job), settings)

    @hookimpl
    def queuectl_job_started(self, job: Job, settings: Settings) -> None:
        self.observe(JobEvent("started", job), settings)

    @hookimpl
    def queuectl_job_succeeded(self, job: Job, attempt: Attempt, settings: Settings) -> None:
        self.observe(JobEvent("succeeded", job, attempt), settings)

    @hookimpl
    def queuectl_job_failed(
        self, job: Job, attempt: Attempt, retry_at: datetime, settings: Settings
    ) -> None:
        self.observe(JobEvent("failed", job, attempt, retry_at), settings)

    @hookimpl
    def queuectl_job_dead(self, job: Job, attempt: Attempt | None, settings: Settings) -> None:
        self.observe(JobEvent("dead", job, attempt), settings)

    @hookimpl
    def queuectl_job_cancelled(self, job: Job, settings: Settings) -> None:
        self.observe(JobEvent("cancelled", job), settings)

    @hookimpl
    def queuectl_worker_stopped(self) -> None:
        self.close()


def job_event_hooks(notify: Notify) -> dict[str, Callable[..., None]]:
    """The six job hook implementations by hook name, each calling ``notify``.

    Deprecated: subclass :class:`Notifier` instead.
    """
    warnings.warn(
        "job_event_hooks is deprecated: subclass queuectl_core.pluginkit.notifier.Notifier",
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
