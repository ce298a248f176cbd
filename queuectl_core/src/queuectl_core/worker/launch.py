"""Starting workers in the background from the command line (``worker start``).

:func:`start_detached` starts a supervisor (:mod:`queuectl_core.worker.supervisor`)
detached from the terminal and returns once its workers are registered.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from queuectl_core import private
from queuectl_core.config import Location
from queuectl_core.errors import WorkerError
from queuectl_core.host import hostname, short_hostname
from queuectl_core.job import WorkerInfo
from queuectl_core.storage import Storage
from queuectl_core.worker.pids import pid_alive, runs_queuectl
from queuectl_core.worker.supervisor import spawn_with_location

log = logging.getLogger("queuectl.supervisor")

POLL = 0.02  # seconds between registry checks while starting


#: Detached supervisors started by this process, kept referenced so that they are
#: reaped (see ``pid_alive``) rather than reported as leaked when they outlive it.
_detached: list[subprocess.Popen[bytes]] = []


def start_detached(
    location: Location,
    count: int,
    queues: Sequence[str] | None,
    log_file: Path,
    timeout: float = 30,
    add: bool = False,
) -> list[WorkerInfo]:
    """Start a background supervisor of ``count`` workers; return them once registered.

    While workers of this backend run on this host, refuses (``WorkerError``
    saying how many) unless ``add``: a second ``worker start`` is more often a
    mistake than a wish for twice the workers.
    """
    if count < 1:
        raise WorkerError("the number of workers must be at least 1")
    command = [sys.executable, "-m", "queuectl_core.worker.supervisor", "--count", str(count)]
    if queues:
        command += ["--queues", ",".join(queues)]
    storage = location.open()  # a broken location fails here, before anything starts
    try:
        if not add:
            _refuse_if_running(storage)
        log_handle = _open_log(log_file)
        try:
            process = spawn_with_location(
                command,
                location,
                stdin=subprocess.DEVNULL,
                stdout=log_handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            os.close(log_handle)
        _detached.append(process)
        return _wait_registered(storage, process, count, log_file, timeout)
    finally:
        storage.close()


def running_here(storage: Storage) -> list[WorkerInfo]:
    """The registered workers that run on this host (a live queuectl process each)."""
    host = hostname()
    return [
        worker
        for worker in storage.workers()
        if worker.host == host and pid_alive(worker.pid) and runs_queuectl(worker.pid) is not False
    ]


def _refuse_if_running(storage: Storage) -> None:
    running = running_here(storage)
    if running:
        count = len(running)
        ids = ", ".join(worker.id for worker in running[:5]) + (", ..." if count > 5 else "")
        raise WorkerError(
            f"{count} worker{'s' if count != 1 else ''} of this backend already "
            f"run{'s' if count == 1 else ''} on this host ({ids}); "
            "'worker start --add' starts more beside them, 'worker stop' stops them"
        )


def _wait_registered(
    storage: Storage,
    process: subprocess.Popen[bytes],
    count: int,
    log_file: Path,
    timeout: float,
) -> list[WorkerInfo]:
    """The supervisor's ``count`` workers once registered; ``WorkerError`` if they exit
    or do not register within ``timeout`` seconds."""
    prefix = f"{short_hostname()}-{process.pid}-"
    deadline = time.monotonic() + timeout
    while True:
        started = [w for w in storage.workers() if w.id.startswith(prefix)]
        if len(started) >= count:
            return started
        status = process.poll()
        if status is not None:
            raise WorkerError(
                f"the workers exited at start (status {status}): {_last_line(log_file)}"
            )
        if time.monotonic() >= deadline:
            process.terminate()
            raise WorkerError(
                f"the workers did not start within {timeout:g}s: {_last_line(log_file)}"
            )
        time.sleep(POLL)


def _open_log(path: Path) -> int:
    """The workers' log opened for appending (created 0600, its directories 0700);
    ``WorkerError`` naming the path if it cannot be."""
    try:
        private.make_dirs(path.parent)
        return private.open_append(path)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        if isinstance(exc.filename, str) and exc.filename != str(path):
            reason = f"{exc.filename}: {reason}"
        raise WorkerError(f"cannot write the workers' log {path}: {reason}") from None


def _last_line(path: Path) -> str:
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 4096))
            lines = handle.read().decode("utf-8", "replace").strip().splitlines()
    except OSError:
        return "(no log)"
    return lines[-1] if lines else f"(nothing in {path})"
