"""The ``python`` executor: a handler called in the worker's own process.

The handler is the registered handler named by ``job.type`` when there is one
(``--type print_message --payload '{"msg": "hi"}'``), else ``job.command``: a
registered handler name or ``module:function`` (``module:Class.method`` works too;
imports are cached for the life of the executor). A JSON object payload becomes
keyword arguments, no payload means no arguments. An ``async def`` handler (any
handler returning an awaitable) is awaited in an event loop of its own per attempt
(``asyncio.run``), under the same timeout.

What the handler writes to ``sys.stdout`` and ``sys.stderr`` is captured into bounded
tails (writes straight to file descriptors 1 and 2, as a child process makes, are
not). A return value that ``json.dumps`` accepts is stored as the attempt's result,
as JSON would read it back (tuples become lists); any other value (a set, a
datetime, NaN) fails the attempt with an error naming its type. A handler that
raises :class:`~queuectl_core.errors.NonRetryable` fails it as not ``retryable``:
the job goes to the dead letter queue at once (:mod:`queuectl_core.retry`).

Signals make timeouts and forced stops possible, so ``run`` must be called from the
main thread: a timeout arms ``ITIMER_REAL`` with a ``SIGALRM`` handler only while the
handler runs, and the worker raises :class:`JobInterrupted` from its own signal
handler to stop a handler early. Both are ``BaseException`` subclasses, so handler
code catching ``Exception`` cannot swallow them.
"""

from __future__ import annotations

import importlib
import json
import signal
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

from queuectl_core import plugins
from queuectl_core.errors import NonRetryable
from queuectl_core.executors.base import (
    ExecutionContext,
    JobInterrupted,
    interrupted_error,
    timed_out_error,
)
from queuectl_core.executors.output import OutputTail
from queuectl_core.job import AttemptResult, Job, Outcome

PAYLOAD_ERROR = "payload must be a JSON object for python jobs"
#: The end of the error of an attempt whose handler raised ``NonRetryable``.
NOT_RETRIED = ": not retried (NonRetryable)"


class HandlerNotFoundError(LookupError):
    """A job names no registered handler and no importable ``module:function``."""


class NotJsonError(ValueError):
    """A handler returned a value that JSON cannot hold."""


class _NotRetried(Exception):
    """A handler raised ``NonRetryable``: the attempt's ``error``, not to be retried."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


class _HandlerTimeout(BaseException):
    """Raised by ``SIGALRM`` in the handler when its time is up."""


class PythonExecutor:
    """Calls Python handlers in-process; see the module's documentation."""

    #: Runs jobs in the worker's main thread: the worker stops them with JobInterrupted.
    in_process = True

    def __init__(self) -> None:
        self._imported: dict[str, Callable[..., Any]] = {}

    def run(self, context: ExecutionContext) -> AttemptResult:
        if threading.current_thread() is not threading.main_thread():
            raise RuntimeError("the python executor must run in the main thread (it uses signals)")
        stdout = OutputTail(context.output_limit)
        stderr = OutputTail(context.output_limit)
        try:
            outcome, error, value = self._call(context, stdout, stderr)
            retryable = True
        except _NotRetried as exc:
            outcome, error, value, retryable = Outcome.FAILED, exc.error, None, False
        return AttemptResult(
            outcome,
            time.time(),
            error=error,
            stdout=stdout.data,
            stderr=stderr.data,
            stdout_dropped=stdout.dropped,
            stderr_dropped=stderr.dropped,
            result=value,
            retryable=retryable,
        )

    def resolve(self, job: Job) -> Callable[..., Any]:
        """The handler a job names; raises :class:`HandlerNotFoundError` with a one-line reason."""
        handlers = plugins.handlers()
        handler = handlers.get(job.type)
        if handler is not None:
            return handler
        name = job.command.strip()
        handler = handlers.get(name) or self._imported.get(name)
        if handler is None:
            handler = _import(name, handlers)
            self._imported[name] = handler
        return handler

    def _call(
        self, context: ExecutionContext, stdout: OutputTail, stderr: OutputTail
    ) -> tuple[Outcome, str | None, Any]:
        """Outcome, error and JSON-able result of calling the job's handler."""
        reason = context.abort_reason()
        if reason is not None:
            return Outcome.INTERRUPTED, interrupted_error(reason), None
        payload = context.job.payload
        if payload is not None and not isinstance(payload, dict):
            return Outcome.FAILED, PAYLOAD_ERROR, None
        saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = stdout, stderr
        try:
            with _time_limit(context.timeout):
                handler = self.resolve(context.job)
                value = handler(**(payload or {}))
                if hasattr(value, "__await__"):  # a coroutine or another awaitable
                    value = _await(value)
        except _HandlerTimeout:
            assert context.timeout is not None
            return Outcome.TIMED_OUT, timed_out_error(context.timeout), None
        except JobInterrupted as exc:
            reason = exc.reason or context.abort_reason() or "interrupted"
            return Outcome.INTERRUPTED, interrupted_error(reason), None
        except HandlerNotFoundError as exc:
            cause = exc.__cause__
            if cause is not None and not isinstance(cause, ImportError):
                stderr.write(_traceback(cause))  # the module failed while importing
            return Outcome.FAILED, str(exc), None
        except NonRetryable as exc:  # the handler says retrying cannot help
            stderr.write(_traceback(exc, skip=1))
            raise _NotRetried((_first_line(exc) or type(exc).__name__) + NOT_RETRIED) from None
        except (Exception, SystemExit) as exc:  # a handler's sys.exit() must not end the worker
            stderr.write(_traceback(exc, skip=1))
            return Outcome.FAILED, one_line(exc), None
        finally:
            sys.stdout, sys.stderr = saved
        try:
            return Outcome.SUCCEEDED, None, as_json(value)
        except NotJsonError as exc:
            return Outcome.FAILED, str(exc), None


def _import(name: str, handlers: dict[str, Callable[..., Any]]) -> Callable[..., Any]:
    module_name, _, attributes = name.partition(":")
    if not module_name or not attributes:
        known = ", ".join(sorted(handlers)) or "none"
        raise HandlerNotFoundError(
            f"unknown handler {name!r}: give module:function or a registered handler ({known})"
        )
    try:
        target: Any = importlib.import_module(module_name)
    except Exception as exc:
        raise HandlerNotFoundError(
            f"cannot import module {module_name!r}: {one_line(exc)}"
        ) from exc
    for attribute in attributes.split("."):
        try:
            target = getattr(target, attribute)
        except AttributeError:
            raise HandlerNotFoundError(f"{module_name!r} has no attribute {attributes!r}") from None
    if not callable(target):
        raise HandlerNotFoundError(f"{name!r} is not callable")
    handler: Callable[..., Any] = target
    return handler


@contextmanager
def _time_limit(seconds: float | None) -> Iterator[None]:
    """Raise ``_HandlerTimeout`` in the block after ``seconds`` (None or 0: no limit)."""
    if not seconds or seconds <= 0:
        yield
        return
    previous = signal.signal(signal.SIGALRM, _raise_timeout)
    try:
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    finally:
        signal.signal(signal.SIGALRM, previous if previous is not None else signal.SIG_DFL)


def _raise_timeout(signum: int, frame: FrameType | None) -> None:
    raise _HandlerTimeout


def one_line(exc: BaseException) -> str:
    """``ValueError: first line of the message`` (or just the class name)."""
    line = _first_line(exc)
    return f"{type(exc).__name__}: {line}" if line else type(exc).__name__


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else ""


def _traceback(exc: BaseException, skip: int = 0) -> str:
    """The formatted traceback, without the first ``skip`` frames (the executor's own)."""
    import traceback  # only on failures

    tb = exc.__traceback__
    for _ in range(skip):
        if tb is not None:
            tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb))


def _await(awaitable: Awaitable[Any]) -> Any:
    """The awaitable's value, run to its end in a new event loop."""
    import asyncio  # only for async handlers: it costs milliseconds to import

    async def wait() -> Any:
        return await awaitable

    return asyncio.run(awaitable if asyncio.iscoroutine(awaitable) else wait())


def as_json(value: Any) -> Any:
    """``value`` as JSON reads it back; ``NotJsonError`` naming the type JSON cannot hold."""
    if value is None or type(value) in (str, bool, int):
        return value
    try:
        return json.loads(json.dumps(value, allow_nan=False))
    except TypeError as exc:  # "Object of type set is not JSON serializable"
        detail = str(exc).removeprefix("Object of type ").removesuffix(" is not JSON serializable")
        found = type(value).__name__
        where = "" if detail == found else f" (inside the {found} it returned)"
        raise NotJsonError(f"handler returned a value JSON cannot hold: {detail}{where}") from None
    except ValueError:
        raise NotJsonError(
            f"handler returned a value JSON cannot hold: a float that is NaN or infinite "
            f"(in the {type(value).__name__} it returned)"
        ) from None
    except RecursionError:
        raise NotJsonError(
            f"handler returned a value JSON cannot hold: a {type(value).__name__} that "
            "contains itself or is nested too deeply"
        ) from None
