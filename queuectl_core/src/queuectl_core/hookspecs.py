"""Every hook a queuectl plugin can implement, and the markers for both sides.

Registration hooks hand the plugin a ``register`` callback; lifecycle hooks are
notifications whose return value is ignored. A lifecycle hook that raises is
logged with the plugin's name and never changes a job's outcome or stops a worker.
Each spec says in which process and thread it runs. Every lifecycle hook may also
ask for ``settings``, the runtime settings in force, and ``queue``, a queue on the
backend the process uses that any of its threads may use (pluggy opt-in arguments:
an implementation names only the arguments it wants, and the queue is opened only
when one asks), so a plugin needs no storage connection of its own. Plugins mark
their implementations with :data:`hookimpl` (also ``from queuectl_core import hookimpl``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

import pluggy

if TYPE_CHECKING:
    import click

    from queuectl_core.executors.base import Executor
    from queuectl_core.job import Attempt, Job, State, WorkerInfo
    from queuectl_core.setting import Setting
    from queuectl_core.storage import BackendSpec, Storage

hookspec = pluggy.HookspecMarker("queuectl")
hookimpl = pluggy.HookimplMarker("queuectl")


class Settings(Protocol):
    """The ``settings`` a lifecycle hook receives: a :class:`queuectl_core.settings.Settings`.

    Described here by what a hook reads, not imported: ``settings`` needs the plugin
    manager, which needs this module, and core has no import cycles.
    """

    version: int

    def __getitem__(self, name: str) -> Any:
        """The value in force of the setting ``name``."""


class Queue(Protocol):
    """The ``queue`` a lifecycle hook receives: a :class:`queuectl_core.queue.Queue`.

    It is the one queue every hook of the process shares, on the backend the event
    came from, opened when a hook first asks for it and closed at exit (its
    ``close()`` does nothing). Any thread may use it: keep it for a thread of your
    own. Described here by a few of its members, for the reason ``Settings`` is.
    """

    storage: Storage

    def get(self, job_id: str) -> Job:
        """The job ``job_id``."""

    def counts(self) -> dict[tuple[str, State], int]:
        """How many jobs each (queue, state) pair holds."""


@hookspec
def queuectl_register_storage(register: Callable[[BackendSpec], None]) -> None:
    """Register storage backends: call ``register(BackendSpec(...))`` once for each.

    Runs once per process (CLI, worker, supervisor, a program using ``Queue``), on
    the thread that first opens a backend.
    """


@hookspec
def queuectl_register_executors(register: Callable[[str, Executor], None]) -> None:
    """Register executors by name: ``register("docker", DockerExecutor())``.

    A job's ``type`` picks its executor. Runs once per process, on the thread that
    first validates or runs a job (the main thread of a worker).
    """


@hookspec
def queuectl_register_handlers(register: Callable[[str, Callable[..., Any]], None]) -> None:
    """Register Python handlers by name for the ``python`` executor.

    A job may then name the handler in ``command``, or use the name as its
    ``type`` (``--type NAME --payload JSON``). Runs once per process, on the thread
    that first needs a handler (the main thread of a worker).
    """


@hookspec
def queuectl_register_settings(register: Callable[[Setting], None]) -> None:
    """Register runtime settings (stored in the backend, shared by every worker).

    Runs once per process, on the thread that first reads or validates settings.
    """


@hookspec
def queuectl_register_commands(cli: click.Group) -> None:
    """Add commands or command groups to the ``queuectl`` CLI.

    Runs in the CLI process only, on its main thread, once, when the command typed is
    not a built-in one or ``--help`` lists every command. Never in a worker.
    """


@hookspec
def queuectl_job_enqueued(job: Job, settings: Settings, queue: Queue) -> None:
    """A job was stored.

    Runs in the process that enqueued it (``queuectl enqueue``, or a program calling
    ``Queue.enqueue``), on the calling thread, after the job is stored; for a run of a
    recurring schedule (``job.schedule`` set), in the worker that fired it, on its
    heartbeat thread.
    """


@hookspec
def queuectl_job_started(
    job: Job, attempt: int, worker: WorkerInfo, settings: Settings, queue: Queue
) -> None:
    """A worker claimed the job and is about to run attempt number ``attempt``.

    Runs in the worker process, on its main thread, just before the attempt starts:
    a slow implementation delays the job itself.
    """


@hookspec
def queuectl_job_succeeded(job: Job, attempt: Attempt, settings: Settings, queue: Queue) -> None:
    """An attempt succeeded; ``job`` is completed.

    Runs in the worker process, on its main thread (the loop that runs jobs), once the
    result is stored.
    """


@hookspec
def queuectl_job_failed(
    job: Job, attempt: Attempt, retry_at: datetime, settings: Settings, queue: Queue
) -> None:
    """An attempt failed and a retry is scheduled at ``retry_at`` (UTC).

    Runs in the worker process, on its main thread (the loop that runs jobs), once the
    new state is stored. For a job whose worker was lost, where the loss is noticed: a
    worker's heartbeat thread (an expired lease), the supervisor of a worker that died,
    or ``queuectl worker stop`` removing a gone worker.
    """


@hookspec
def queuectl_job_dead(job: Job, attempt: Attempt | None, settings: Settings, queue: Queue) -> None:
    """The job ran out of retries and moved to the dead letter queue.

    Runs in the worker process, on its main thread (the loop that runs jobs), once the
    new state is stored. For a job whose worker was lost, where the loss is noticed: a
    worker's heartbeat thread (an expired lease), the supervisor of a worker that died,
    or ``queuectl worker stop`` removing a gone worker.
    """


@hookspec
def queuectl_job_cancelled(job: Job, settings: Settings, queue: Queue) -> None:
    """A person cancelled the job, or a job it waited for (``after``) failed; its
    ``last_error`` says which (``cancelled``, ``dependency ID dead``).

    Runs in the process that cancelled it (``queuectl cancel``, or a program calling
    ``Queue.cancel``), on the calling thread, after the job is stored as cancelled;
    for a dependency, in the process that settled it (the worker that ran the job it
    waited for, the one that cancelled that job, or a worker's heartbeat).
    """


@hookspec
def queuectl_worker_started(worker: WorkerInfo, settings: Settings, queue: Queue) -> None:
    """A worker process registered and is about to claim jobs.

    Runs in that worker process, on its main thread, before its first claim.
    """


@hookspec
def queuectl_worker_stopped(worker: WorkerInfo, settings: Settings, queue: Queue) -> None:
    """A worker process is exiting after a clean stop.

    Runs in that worker process, on its main thread, as it unregisters, after its last job
    finished; not after a crash or ``SIGKILL``.
    """
