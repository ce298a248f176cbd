"""Domain errors. The CLI turns each into a one-line message and exit status 1."""

from __future__ import annotations

from collections.abc import Sequence


class QueuectlError(Exception):
    """Base class for every error queuectl reports to a person."""


class InvalidJobError(QueuectlError):
    """A job description is malformed: unknown field, wrong type, bad value."""


class DuplicateJobError(QueuectlError):
    """A job with this id already exists."""

    def __init__(self, job_id: str) -> None:
        super().__init__(f"a job with id {job_id!r} already exists")
        self.job_id = job_id


class NoSuchJobError(QueuectlError):
    """No job has this id."""

    def __init__(self, job_id: str) -> None:
        super().__init__(f"no job with id {job_id!r}")
        self.job_id = job_id


class InvalidScheduleError(QueuectlError):
    """A schedule's definition is malformed: bad name, cron expression, time zone."""


class NoSuchScheduleError(QueuectlError):
    """No schedule has this name."""

    def __init__(self, name: str) -> None:
        super().__init__(f"no schedule named {name!r}")
        self.name = name


class InvalidQueueError(QueuectlError):
    """A queue name or a queue control (a pause's reason) is malformed."""


class NoSuchQueueError(QueuectlError):
    """No queue has this name: it has no jobs and no stored control."""

    def __init__(self, name: str) -> None:
        super().__init__(f"no queue named {name!r} (it has no jobs and was never paused)")
        self.name = name


class InvalidStateError(QueuectlError):
    """The job is in a state that does not allow the requested operation."""

    @classmethod
    def refusing(
        cls, job_id: str, state: str, allowed: Sequence[str], verb: str
    ) -> InvalidStateError:
        """The one wording every backend uses to refuse ``verb`` (``"cancelled"``) on a
        job in ``state``: ``job 'a' is dead; only pending, failed or processing jobs
        can be cancelled``. ``allowed`` names the states that would do."""
        names = [str(getattr(name, "value", name)) for name in allowed]
        listed = names[-1] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
        shown = getattr(state, "value", state)
        return cls(f"job {job_id!r} is {shown}; only {listed} jobs can be {verb}")


class UnknownBackendError(QueuectlError):
    """The configured storage backend is not installed."""


class UnknownExecutorError(QueuectlError):
    """No executor or handler is registered under the job's type."""


class SettingError(QueuectlError):
    """A runtime setting name or value is invalid."""


class ConfigError(QueuectlError):
    """The configuration file, environment or flags are invalid."""


class NoQueueError(QueuectlError):
    """A command that only reads found no queue where the configuration points."""

    def __init__(self, where: str) -> None:
        super().__init__(
            f"no queue at {where} (create one with 'queuectl init' or by enqueueing a job)"
        )
        self.where = where


class StorageError(QueuectlError):
    """The backend failed in a way the caller cannot fix by changing its input."""


class WorkerError(QueuectlError):
    """Starting or stopping workers failed."""


class StorageUnavailableError(StorageError):
    """The storage cannot take requests now but may later: unreachable, locked, full.
    A worker keeps what it holds (an attempt's result, say) and tries again."""


class StorageFullError(StorageUnavailableError):
    """The storage has no room left for a write: a full disk, Redis at ``maxmemory``."""


class NonRetryable(Exception):
    """Raised by a Python handler for a failure that retrying cannot mend (bad input,
    a record that is gone): the job goes to the dead letter queue at once, retries left
    or not, with the exception's message as the reason.

    ``raise NonRetryable("customer 42 does not exist")`` ends the attempt as failed
    with error ``customer 42 does not exist: not retried (NonRetryable)``.
    Not a :class:`QueuectlError`: queuectl never raises it, handlers do.
    """
