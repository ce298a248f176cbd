"""Executors run one attempt of a job: shell commands, Python handlers, plugins' own."""

from __future__ import annotations

from typing import TYPE_CHECKING

from queuectl_core.errors import UnknownExecutorError

if TYPE_CHECKING:
    from queuectl_core.executors.base import Executor
    from queuectl_core.job import Job

__all__ = ["for_job"]


def for_job(job: Job) -> Executor:
    """The executor of ``job``: the one registered as ``job.type``, or ``python``
    when ``job.type`` names a registered handler.

    Raises ``UnknownExecutorError`` (one line, listing the known names) otherwise.
    """
    from queuectl_core import plugins

    executors = plugins.executors()
    executor = executors.get(job.type)
    if executor is not None:
        return executor
    handlers = plugins.handlers()
    if job.type in handlers and "python" in executors:
        return executors["python"]
    known = ", ".join(sorted(set(executors) | set(handlers)))
    raise UnknownExecutorError(
        f"job {job.id}: unknown type {job.type!r}; executors and handlers: {known}"
    )
