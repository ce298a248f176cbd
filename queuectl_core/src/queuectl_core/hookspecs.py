"""Every hook a queuectl plugin can implement.

Registration hooks hand the plugin a ``register`` callback; lifecycle hooks are
notifications whose return value is ignored. A lifecycle hook that raises is
logged with the plugin's name and never changes a job's outcome or stops a worker.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click

    from queuectl_core.executors.base import Executor
    from queuectl_core.job import Attempt, Job, WorkerInfo
    from queuectl_core.setting import Setting
    from queuectl_core.storage import BackendSpec

hookspec = pluggy.HookspecMarker("queuectl")


@hookspec
def queuectl_register_storage(register: Callable[[BackendSpec], None]) -> None:
    """Register storage backends: call ``register(BackendSpec(...))`` once for each."""


@hookspec
def queuectl_register_executors(register: Callable[[str, Executor], None]) -> None:
    """Register executors by name: ``register("docker", DockerExecutor())``.

    A job's ``type`` picks its executor.
    """


@hookspec
def queuectl_register_handlers(register: Callable[[str, Callable[..., Any]], None]) -> None:
    """Register Python handlers by name for the ``python`` executor.

    A job may then name the handler in ``command``, or use the name as its
    ``type`` (``--type NAME --payload JSON``).
    """


@hookspec
def queuectl_register_settings(register: Callable[[Setting], None]) -> None:
    """Register runtime settings (stored in the backend, shared by every worker)."""


@hookspec
def queuectl_register_commands(cli: click.Group) -> None:
    """Add commands or command groups to the ``queuectl`` CLI."""


@hookspec
def queuectl_job_enqueued(job: Job) -> None:
    """A job was stored (called in the process that enqueued it)."""


@hookspec
def queuectl_job_started(job: Job, attempt: int, worker: WorkerInfo) -> None:
    """A worker claimed the job and is about to run attempt number ``attempt``."""


@hookspec
def queuectl_job_succeeded(job: Job, attempt: Attempt) -> None:
    """An attempt succeeded; ``job`` is completed."""


@hookspec
def queuectl_job_failed(job: Job, attempt: Attempt, retry_at: datetime) -> None:
    """An attempt failed and a retry is scheduled at ``retry_at`` (UTC)."""


@hookspec
def queuectl_job_dead(job: Job, attempt: Attempt | None) -> None:
    """The job ran out of retries and moved to the dead letter queue."""


@hookspec
def queuectl_job_cancelled(job: Job) -> None:
    """A person cancelled the job (called in the process that cancelled it)."""


@hookspec
def queuectl_worker_started(worker: WorkerInfo) -> None:
    """A worker process registered and is about to claim jobs."""


@hookspec
def queuectl_worker_stopped(worker: WorkerInfo) -> None:
    """A worker process is exiting after a clean stop."""
