"""Lifecycle events, one typed function per hook, dispatched so no plugin can break them.

A call site names the event (``events.job_succeeded(job, attempt, settings)``) and
mypy checks its arguments. Each function calls every implementation of its hook
through :mod:`queuectl_core.dispatch`: a failure is logged with the plugin's name
and never reaches the caller. Where building the arguments costs something, check
:func:`has_listeners` first, so a process without listeners pays nothing.

Every lifecycle hook may also ask for ``settings``, the runtime settings in force,
and ``queue``, a queue on the backend of the process that any thread may use
(pluggy's opt-in arguments). A caller that holds the settings passes them; one that
would have to read them passes a function, called only if some plugin asks. The
queue always comes as such a function (:meth:`queuectl_core.queue.Queue.for_hooks`):
nothing is opened unless a plugin asks for it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Union

from queuectl_core.dispatch import Arguments, call_each, describe_failure
from queuectl_core.plugins import get_plugin_manager

if TYPE_CHECKING:
    from pluggy import HookCaller

    from queuectl_core.job import Attempt, Job, WorkerInfo
    from queuectl_core.settings import Settings

__all__ = [
    "Event",
    "QueueSource",
    "SettingsSource",
    "describe_failure",
    "has_listeners",
    "job_cancelled",
    "job_dead",
    "job_enqueued",
    "job_failed",
    "job_started",
    "job_succeeded",
    "worker_started",
    "worker_stopped",
]

Event = Literal[
    "job_enqueued",
    "job_started",
    "job_succeeded",
    "job_failed",
    "job_dead",
    "job_cancelled",
    "worker_started",
    "worker_stopped",
]

#: The settings a hook may ask for, or the function that reads them when one does.
SettingsSource = Union["Settings", Callable[[], "Settings"]]
#: The function that returns the ``queue`` a hook may ask for, called only when one does
#: (a :class:`queuectl_core.queue.Queue`, not named here: it emits events itself).
QueueSource = Callable[[], object]


def has_listeners(event: Event) -> bool:
    """Whether any plugin implements ``queuectl_<event>`` (skip building arguments if not)."""
    return bool(getattr(get_plugin_manager().hook, f"queuectl_{event}").get_hookimpls())


def _emit(
    hook: HookCaller, values: dict[str, Any], settings: SettingsSource, queue: QueueSource
) -> None:
    arguments = Arguments(values)
    if callable(settings):
        arguments.deferred = {"settings": settings, "queue": queue}
    else:
        arguments["settings"] = settings
        arguments.deferred = {"queue": queue}
    call_each(hook, arguments)


def job_enqueued(job: Job, settings: SettingsSource, queue: QueueSource) -> None:
    """``queuectl_job_enqueued``: ``job`` was stored."""
    _emit(get_plugin_manager().hook.queuectl_job_enqueued, {"job": job}, settings, queue)


def job_started(
    job: Job, attempt: int, worker: WorkerInfo, settings: SettingsSource, queue: QueueSource
) -> None:
    """``queuectl_job_started``: ``worker`` is about to run attempt ``attempt`` of ``job``."""
    _emit(
        get_plugin_manager().hook.queuectl_job_started,
        {"job": job, "attempt": attempt, "worker": worker},
        settings,
        queue,
    )


def job_succeeded(job: Job, attempt: Attempt, settings: SettingsSource, queue: QueueSource) -> None:
    """``queuectl_job_succeeded``: ``attempt`` succeeded and ``job`` is completed."""
    values = {"job": job, "attempt": attempt}
    _emit(get_plugin_manager().hook.queuectl_job_succeeded, values, settings, queue)


def job_failed(
    job: Job, attempt: Attempt, retry_at: datetime, settings: SettingsSource, queue: QueueSource
) -> None:
    """``queuectl_job_failed``: ``attempt`` failed; the job runs again at ``retry_at``."""
    values = {"job": job, "attempt": attempt, "retry_at": retry_at}
    _emit(get_plugin_manager().hook.queuectl_job_failed, values, settings, queue)


def job_dead(
    job: Job, attempt: Attempt | None, settings: SettingsSource, queue: QueueSource
) -> None:
    """``queuectl_job_dead``: ``job`` moved to the dead letter queue."""
    values = {"job": job, "attempt": attempt}
    _emit(get_plugin_manager().hook.queuectl_job_dead, values, settings, queue)


def job_cancelled(job: Job, settings: SettingsSource, queue: QueueSource) -> None:
    """``queuectl_job_cancelled``: a person (or a failed dependency) cancelled ``job``."""
    _emit(get_plugin_manager().hook.queuectl_job_cancelled, {"job": job}, settings, queue)


def worker_started(worker: WorkerInfo, settings: SettingsSource, queue: QueueSource) -> None:
    """``queuectl_worker_started``: ``worker`` registered and is about to claim jobs."""
    _emit(get_plugin_manager().hook.queuectl_worker_started, {"worker": worker}, settings, queue)


def worker_stopped(worker: WorkerInfo, settings: SettingsSource, queue: QueueSource) -> None:
    """``queuectl_worker_stopped``: ``worker`` is exiting after a clean stop."""
    _emit(get_plugin_manager().hook.queuectl_worker_stopped, {"worker": worker}, settings, queue)
