"""Stopping a worker: stop signals, aborting the running job, reaching the main thread.

The first SIGTERM, SIGINT or SIGHUP (or :meth:`Stopper.request_stop`) stops claiming
and lets the running job finish; a second one (or :meth:`Stopper.force_stop`)
interrupts the job, which goes back to pending without using up an attempt. A job
is stopped through the abort pipe (the shell executor watches it) and, while a
Python handler runs in the main thread, by raising
:class:`~queuectl_core.executors.base.JobInterrupted` there from a signal handler.
Other threads (the heartbeat) reach the main thread the same way, with SIGUSR1.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from typing import TypeVar

from queuectl_core.executors.base import JobInterrupted
from queuectl_core.pluginkit.threads import (
    POKE_SIGNAL,
    STOP_SIGNALS,
    call_with_stop_signals_blocked,
)
from queuectl_core.storage import Claim

log = logging.getLogger("queuectl.worker")
T = TypeVar("T")

#: Abort reason of a forced stop; the job goes back to pending.
FORCED = "forced stop"


class _Wakeup(BaseException):
    """Ends an idle wait early; raised only inside :meth:`Stopper.sleep`."""


class Stopper:
    """A worker's stop requests and job aborts, and how they reach its main thread.

    Build it and :meth:`install` it in the thread that runs the worker's loop;
    :meth:`restore` the previous signal handlers and :meth:`close` it at the end.
    """

    def __init__(self) -> None:
        self.stopping = False  # claim no more jobs
        self._forced = False
        self._lock = threading.RLock()  # guards the running claim and its abort state
        self._current: Claim | None = None
        self._abort_reason: str | None = None
        self._abort_written = False  # the abort pipe may hold bytes to drain
        self._in_process = False  # a Python handler runs in the main thread now
        self._waiting = False  # the main thread sleeps in sleep() and may be woken
        self._stop_signals: list[int] = []
        self._signals = False  # our signal handlers are installed
        self._previous: dict[int, object] = {}
        self._main_ident = threading.get_ident()
        self._abort_read, self._abort_write = os.pipe()
        for fd in (self._abort_read, self._abort_write):
            os.set_blocking(fd, False)

    @property
    def abort_fd(self) -> int:
        """Readable once the running job should stop (executors watch it)."""
        return self._abort_read

    def abort_reason(self) -> str | None:
        """Why the running job should stop early, or ``None``."""
        return self._abort_reason

    def current_claim(self) -> Claim | None:
        return self._current

    @property
    def forced(self) -> bool:
        """A forced stop was asked for (a second signal): give up what still waits."""
        return self._forced

    # -- stop requests and aborts, from any thread ----------------------------------------

    def request_stop(self, reason: str) -> None:
        """Claim no more jobs; the running one finishes."""
        if not self.stopping:
            log.info("%s: stopping after the running job", reason)
            self.stopping = True
        self._poke()

    def force_stop(self) -> None:
        """Stop, and abort the running job (and one claimed while this runs)."""
        self.stopping = True
        if not self._forced:
            log.info("interrupting the running job and stopping")
        with self._lock:
            self._forced = True
            if self._current is not None and self._abort_reason is None:
                self._abort(FORCED)
        if threading.get_ident() != self._main_ident:
            self._poke()

    def abort_job(self, claim: Claim, reason: str) -> None:
        """Stop ``claim``'s job early, if it still runs."""
        with self._lock:  # no logging under the lock: a signal handler may take it
            if self._current is not claim or self._abort_reason is not None:
                return
            self._abort(reason)
        log.warning("job %s: %s; stopping it", claim.job.id, reason)
        self._poke()

    # -- what the main thread does ---------------------------------------------------------

    @contextlib.contextmanager
    def running(self, claim: Claim) -> Iterator[None]:
        """While ``claim``'s job runs: it is the one aborts and a forced stop apply to."""
        with self._lock:
            if self._abort_written:  # a read that finds nothing costs more than the check
                self._drain_abort_pipe()
                self._abort_written = False
            self._abort_reason = None
            self._current = claim
            if self._forced:  # claimed as a forced stop began: the executor starts nothing
                self._abort(FORCED)
        try:
            yield
        finally:
            with self._lock:
                self._current = None

    def run_job(self, run: Callable[[], T], in_process: bool) -> T:
        """``run()`` the job; if it runs ``in_process``, an abort raises ``JobInterrupted``."""
        self._in_process = in_process
        try:
            if in_process and self._abort_reason is not None:
                raise JobInterrupted(self._abort_reason)
            return run()
        finally:
            self._in_process = False

    def sleep(
        self, timeout: float, wait: Callable[[float], None], *, until_forced: bool = False
    ) -> None:
        """``wait(timeout)`` that a stop (``until_forced``: only a forced one) or a poke
        ends at once."""
        try:
            self._waiting = True
            try:
                if not (self._forced if until_forced else self.stopping):
                    wait(timeout)
            finally:
                self._waiting = False
        except _Wakeup:
            pass

    # -- signals ---------------------------------------------------------------------------

    def install(self) -> None:
        """Handle the stop signals and pokes (only in the main thread of the process)."""
        self._main_ident = threading.get_ident()
        if threading.current_thread() is not threading.main_thread():
            return  # embedded in a thread: request_stop() still works, without immediacy
        for signum in STOP_SIGNALS:
            self._previous[signum] = signal.signal(signum, self._on_stop_signal)
        self._previous[POKE_SIGNAL] = signal.signal(POKE_SIGNAL, self._on_poke)
        self._signals = True

    def restore(self) -> None:
        """Put back the signal handlers :meth:`install` replaced."""
        self._signals = False
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]
        self._previous.clear()

    def start_thread(self, start: Callable[[], None]) -> None:
        """Start a thread that never receives our signals (see
        :mod:`queuectl_core.pluginkit.threads`)."""
        if not self._signals:
            start()
            return
        call_with_stop_signals_blocked(start)

    def close(self) -> None:
        """Close the abort pipe."""
        os.close(self._abort_read)
        os.close(self._abort_write)

    def _on_stop_signal(self, signum: int, frame: FrameType | None) -> None:
        # A second signal's handler may run nested in this one, so the signals are
        # counted with an atomic append, not with a flag tested before it is set.
        self._stop_signals.append(signum)
        if len(self._stop_signals) > 1:
            self.force_stop()
        else:
            self.stopping = True
            log.info(
                "%s: stopping after the running job (signal again to interrupt it)",
                signal.Signals(signum).name,
            )
        self._interrupt_main_thread()

    def _on_poke(self, signum: int, frame: FrameType | None) -> None:
        self._interrupt_main_thread()

    def _abort(self, reason: str) -> None:
        """Ask the running job to stop (caller holds the lock)."""
        self._abort_reason = reason
        self._abort_written = True
        with contextlib.suppress(BlockingIOError):  # full: readable already
            os.write(self._abort_write, b"x")

    def _drain_abort_pipe(self) -> None:
        with contextlib.suppress(BlockingIOError):
            while os.read(self._abort_read, 4096):
                pass

    def _poke(self) -> None:
        """Have the main thread notice a stop or an abort now (from another thread)."""
        if self._signals and threading.get_ident() != self._main_ident:
            signal.pthread_kill(self._main_ident, POKE_SIGNAL)

    def _interrupt_main_thread(self) -> None:
        """In a signal handler: end an idle wait, or interrupt an in-process handler."""
        if self._in_process and self._abort_reason is not None:
            raise JobInterrupted(self._abort_reason)
        if self._waiting:
            raise _Wakeup
