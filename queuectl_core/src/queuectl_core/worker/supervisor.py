"""Supervising worker processes: relaying signals, recovering and restarting them.

``run_foreground`` runs one worker in this process, or supervises N child workers
(``python -m queuectl_core.worker``): it relays stop signals to them, recovers the
jobs of a child that dies at once (no waiting for the lease to expire) and restarts
it with backoff. :mod:`queuectl_core.worker.launch` starts such a supervisor in the
background (``python -m queuectl_core.worker.supervisor``, children even for one worker)
and stops workers.

Stop signals: the first asks for a graceful stop, the second forces one (see
:mod:`queuectl_core.worker`). A signal relayed twice in quick succession could
merge into one delivery, so the second is always sent as a different signal
(SIGINT after SIGTERM): a worker counts both.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from types import FrameType
from typing import Any

from queuectl_core import handoff
from queuectl_core.config import Location, adopted, without_location
from queuectl_core.errors import WorkerError
from queuectl_core.host import short_hostname
from queuectl_core.queue import shared_queue
from queuectl_core.storage import Storage
from queuectl_core.worker import recovery
from queuectl_core.worker.loop import Worker, configure_logging

log = logging.getLogger("queuectl.supervisor")

#: The signal that delivers the n-th stop request (n = 1, 2, ...).
FIRST_STOP, LATER_STOP = signal.SIGTERM, signal.SIGINT
RESTART_DELAY_MAX = 30.0  # seconds before restarting a child that keeps dying
STABLE_AFTER = 60.0  # a child that ran this long is restarted at once after a crash


def stop_signal(number: int) -> signal.Signals:
    """The signal carrying the ``number``-th stop request."""
    return FIRST_STOP if number <= 1 else LATER_STOP


def child_environ() -> dict[str, str]:
    """A worker's environment: this process's, without the variables that choose the
    backend (the location goes through a pipe: see :mod:`queuectl_core.handoff`)."""
    return without_location(os.environ)


def spawn_with_location(
    command: list[str], location: Location, **popen: Any
) -> subprocess.Popen[bytes]:
    """``Popen(command + [--location-fd N])``, the child inheriting a pipe that holds
    ``location``; its environment is :func:`child_environ`."""
    fd = handoff.send(location)
    try:
        return subprocess.Popen(
            [*command, handoff.OPTION, str(fd)], env=child_environ(), pass_fds=(fd,), **popen
        )
    finally:
        os.close(fd)


# -- foreground -------------------------------------------------------------------------


def run_foreground(
    location: Location, count: int, queues: Sequence[str] | None, burst: bool
) -> int:
    """Run ``count`` workers until they stop; returns the exit status.

    One worker runs in this process; more run as supervised child processes. The
    location becomes this process's own and leaves its environment (no job inherits it).
    """
    with adopted(location):
        if count != 1:
            return supervise(location, count, queues, burst)
        worker_id = f"{short_hostname()}-{os.getpid()}-1"
        configure_logging(worker_id)
        storage = location.open()
        try:
            worker = Worker(storage, worker_id, queues, burst, subreaper=True, location=location)
            return worker.run()
        finally:
            storage.close()


def supervise(location: Location, count: int, queues: Sequence[str] | None, burst: bool) -> int:
    """Run ``count`` child workers, restarting those that crash, until they stop."""
    if count < 1:
        raise WorkerError("the number of workers must be at least 1")
    prefix = f"{short_hostname()}-{os.getpid()}"
    configure_logging(prefix)
    return Supervisor(location, count, queues, burst, prefix).run()


@dataclass
class _Child:
    """One worker slot: its process, and how often it died recently."""

    worker_id: str
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    failures: int = 0
    restart_at: float | None = None
    signals_sent: int = 0  # stop requests relayed to the current process
    exit_status: int | None = None  # set once the slot is done for good


class Supervisor:
    """Keeps ``count`` child workers running; see :func:`run_foreground`."""

    def __init__(
        self,
        location: Location,
        count: int,
        queues: Sequence[str] | None,
        burst: bool,
        id_prefix: str,
    ) -> None:
        self.location = location
        self._hook_queue = partial(shared_queue, location)  # for the events of recovered jobs
        self.queues = list(queues) if queues else None
        self.burst = burst
        self.children = [_Child(f"{id_prefix}-{n}") for n in range(1, count + 1)]
        self._stop_signals: list[int] = []  # appended to by (possibly nested) handlers
        self._wake_read, self._wake_write = os.pipe()
        for fd in (self._wake_read, self._wake_write):
            os.set_blocking(fd, False)

    def run(self) -> int:
        storage = self.location.open()
        previous = self._install_signal_handlers()
        try:
            for child in self.children:
                self._spawn(child)
            while not all(child.exit_status is not None for child in self.children):
                self._wait_for_event()
                for child in self.children:
                    self._check(child, storage)
        finally:
            self._restore_signal_handlers(previous)
            storage.close()
            os.close(self._wake_read)
            os.close(self._wake_write)
        failed = [child for child in self.children if child.exit_status]
        return 1 if failed else 0

    def _command(self, child: _Child) -> list[str]:
        command = [sys.executable, "-m", "queuectl_core.worker", "--worker-id", child.worker_id]
        command += ["--supervisor-pid", str(os.getpid())]
        if self.queues:
            command += ["--queues", ",".join(self.queues)]
        if self.burst:
            command.append("--burst")
        return command

    def _spawn(self, child: _Child) -> None:
        child.restart_at = None
        child.started_at = time.monotonic()
        child.signals_sent = 0
        child.process = spawn_with_location(
            self._command(child),
            self.location,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # a terminal's Ctrl-C reaches us only; we relay it
        )
        self._relay(child)  # a stop that arrived while it started

    def _wait_for_event(self) -> None:
        """Sleep until a child exits, a signal arrives, or a restart is due."""
        due = [child.restart_at for child in self.children if child.restart_at is not None]
        timeout = max(0.0, min(due) - time.monotonic()) if due else None
        if not self._signals_installed:
            timeout = 0.2 if timeout is None else min(timeout, 0.2)
        with contextlib.suppress(InterruptedError):
            select.select([self._wake_read], [], [], timeout)
        with contextlib.suppress(BlockingIOError):
            while os.read(self._wake_read, 4096):
                pass

    def _check(self, child: _Child, storage: Storage) -> None:
        """Handle a child that exited, and a restart that is due."""
        process = child.process
        if process is not None and process.poll() is not None:
            child.process = None
            self._exited(child, process.returncode, storage)
        if child.restart_at is not None and child.restart_at <= time.monotonic():
            if self.stops:
                child.restart_at, child.exit_status = None, 0
            else:
                log.info("restarting worker %s", child.worker_id)
                self._spawn(child)

    def _exited(self, child: _Child, status: int, storage: Storage) -> None:
        if status == 0:
            child.exit_status = 0
            return
        if self.stops and -status in (FIRST_STOP, LATER_STOP):
            # our stop reached it before its signal handlers were installed: it ran no job
            log.info("worker %s stopped while starting", child.worker_id)
            with contextlib.suppress(Exception):
                recovery.recover_worker(storage, child.worker_id, hook_queue=self._hook_queue)
            child.exit_status = 0
            return
        how = f"signal {signal.Signals(-status).name}" if status < 0 else f"status {status}"
        try:
            recovered = recovery.recover_worker(
                storage, child.worker_id, hook_queue=self._hook_queue
            )
            jobs = f"recovered {recovered} job(s)"
        except Exception as exc:  # their leases expire and a sweep recovers them
            jobs = f"could not recover its jobs now ({exc})"
        if self.stops or self.burst:
            log.warning("worker %s died (%s); %s", child.worker_id, how, jobs)
            child.exit_status = status
            return
        ran = time.monotonic() - child.started_at
        child.failures = 0 if ran >= STABLE_AFTER else child.failures + 1
        delay = min(2.0 ** (child.failures - 1), RESTART_DELAY_MAX) if child.failures else 0.0
        log.warning("worker %s died (%s); %s; restarting in %gs", child.worker_id, how, jobs, delay)
        child.restart_at = time.monotonic() + delay

    # -- signals --------------------------------------------------------------------------

    _signals_installed = False

    def _install_signal_handlers(self) -> dict[int, object]:
        if threading.current_thread() is not threading.main_thread():
            return {}
        previous: dict[int, object] = {
            signum: signal.signal(signum, self._on_stop_signal)
            for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
        }
        previous[signal.SIGCHLD] = signal.signal(signal.SIGCHLD, _ignore)
        previous[-1] = signal.set_wakeup_fd(self._wake_write)
        self._signals_installed = True
        return previous

    def _restore_signal_handlers(self, previous: dict[int, object]) -> None:
        if not previous:
            return
        wakeup = previous.pop(-1)
        signal.set_wakeup_fd(wakeup)  # type: ignore[arg-type]
        for signum, handler in previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]
        self._signals_installed = False

    def _on_stop_signal(self, signum: int, frame: FrameType | None) -> None:
        self._stop_signals.append(signum)  # atomic, unlike a counter's += in a handler
        what = "stopping workers" if self.stops == 1 else "forcing workers to stop"
        log.info("%s: %s", signal.Signals(signum).name, what)
        for child in self.children:
            self._relay(child)

    @property
    def stops(self) -> int:
        """Stop requests received so far."""
        return len(self._stop_signals)

    def _relay(self, child: _Child) -> None:
        """Send the child every stop request it has not had yet."""
        process = child.process
        while (
            process is not None and process.returncode is None and child.signals_sent < self.stops
        ):
            child.signals_sent += 1
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, stop_signal(child.signals_sent))


def _ignore(signum: int, frame: FrameType | None) -> None:
    """A handler that only makes the signal write to the wake-up file descriptor."""


# -- entry point ----------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m queuectl_core.worker.supervisor``: what ``start_detached`` runs.

    Its workers are always child processes, even one: a worker that is killed is
    then restarted and its jobs recovered at once.
    """
    parser = argparse.ArgumentParser(prog="python -m queuectl_core.worker.supervisor")
    parser.add_argument("--count", type=int, default=1)
    parser.add_argument("--queues", help="comma-separated queue names (default: all)")
    parser.add_argument("--burst", action="store_true", help="exit when no job is ready")
    parser.add_argument(handoff.OPTION, type=int, help="read the backend location from this fd")
    args = parser.parse_args(argv)
    queues = [name.strip() for name in (args.queues or "").split(",") if name.strip()]

    from queuectl_core.errors import QueuectlError

    try:
        location = handoff.take(args.location_fd)
        with adopted(location):
            return supervise(location, args.count, queues or None, args.burst)
    except QueuectlError as exc:
        configure_logging("supervisor")
        log.error("%s", exc)
        return 2


if __name__ == "__main__":
    sys.exit(main())
