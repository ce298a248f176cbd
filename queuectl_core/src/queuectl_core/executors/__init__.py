"""Executors run one attempt of a job: shell commands, Python handlers, plugins' own."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

from queuectl_core.errors import UnknownExecutorError

if TYPE_CHECKING:
    from queuectl_core.executors.base import Executor
    from queuectl_core.job import Job

__all__ = ["Declared", "declared", "declared_by", "for_job"]


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


@dataclass(frozen=True, slots=True)
class Declared:
    """What an executor declares about the jobs it runs, as class attributes of the same
    names; core reads them instead of knowing any executor by name. An attribute an
    executor leaves out has the default below."""

    #: Runs jobs in the worker's main thread (a signal stops them), not in a child.
    in_process: bool = False
    #: A job of this type needs a non-empty ``command``.
    needs_command: bool = False
    #: The largest payload, as JSON bytes, a job of this type may have; None: core's limit.
    payload_limit: int | None = None
    #: Why that limit, for its error (e.g. ``of a shell job (it is passed in ...)``).
    payload_limit_reason: str = ""


def declared(job_type: str) -> Declared:
    """What the executor of ``job_type`` declares (the defaults for a type none runs)."""
    from queuectl_core import plugins

    executors = plugins.executors()
    executor = executors.get(job_type)
    if executor is None and job_type in plugins.handlers():
        executor = executors.get("python")
    return declared_by(executor) if executor is not None else Declared()


def declared_by(executor: object) -> Declared:
    """What ``executor`` declares (read once per executor: enqueue asks for every job)."""
    known = _DECLARED.get(id(executor))
    if known is None or known[0] is not executor:
        defaults = Declared()
        names = (f.name for f in fields(Declared))
        known = (
            executor,
            Declared(**{n: getattr(executor, n, getattr(defaults, n)) for n in names}),
        )
        _DECLARED[id(executor)] = known
    return known[1]


#: ``id(executor)``: the executor (so that its id stays its own) and what it declares.
_DECLARED: dict[int, tuple[object, Declared]] = {}
