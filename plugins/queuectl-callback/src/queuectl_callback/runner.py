"""Detached callback processes, reaped without waiting and killed after a timeout."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass

log = logging.getLogger("queuectl.callback")


@dataclass
class _Running:
    process: subprocess.Popen[bytes]
    deadline: float  # time.monotonic()


class CallbackRunner:
    """Starts callbacks in their own session and keeps them within their time bound.

    Nothing here waits for a callback: finished ones are reaped and overdue ones
    killed each time a new one starts; :meth:`drain` (at worker stop and process
    exit) waits at most until the last deadline.
    """

    def __init__(self) -> None:
        self._running: list[_Running] = []

    def start(self, command: str, environ: Mapping[str, str], timeout: float) -> None:
        """Run ``/bin/sh -c command`` detached; log one line if it cannot start."""
        self.reap()
        try:
            process = subprocess.Popen(
                ["/bin/sh", "-c", command],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env={**os.environ, **environ},
                start_new_session=True,
                close_fds=True,
            )
        except OSError as exc:
            log.warning("cannot start callback %r: %s", command, exc)
            return
        self._running.append(_Running(process, time.monotonic() + timeout))

    def reap(self) -> None:
        """Forget finished callbacks and kill those past their deadline."""
        now = time.monotonic()
        still: list[_Running] = []
        for running in self._running:
            code = running.process.poll()
            if code is None and now >= running.deadline:
                self._kill(running)
            elif code is None:
                still.append(running)
            elif code != 0:
                log.warning("callback exited with status %d", code)
        self._running = still

    def drain(self) -> None:
        """Wait for running callbacks until their deadlines, then kill the rest."""
        for running in self._running:
            try:
                running.process.wait(max(0.0, running.deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self._kill(running)
        self._running = []

    def pending(self) -> int:
        """How many callbacks have not been reaped yet."""
        return len(self._running)

    @staticmethod
    def _kill(running: _Running) -> None:
        process = running.process
        log.warning("callback pid %d timed out; killing it", process.pid)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # its own session: the whole group
        process.wait()
