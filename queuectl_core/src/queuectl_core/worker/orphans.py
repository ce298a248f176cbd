"""What an attempt leaves behind on this host: finding, killing and reaping it.

Every process of a shell job inherits ``QUEUECTL_WORKER_ID``, ``QUEUECTL_JOB_ID`` and
``QUEUECTL_ATTEMPT``, so the processes of an attempt are found by their environment
wherever they went, including sessions of their own (``setsid``, daemonizing
scripts). They are killed when an attempt is recovered as lost (its worker died),
and when it times out or is cancelled (the shell executor stops its process group,
then these). Linux only (it reads ``/proc``); elsewhere, and for processes on other
hosts, nothing is found. A job that scrubs its environment (``env -i``) escapes.

A worker process is a child subreaper (:func:`become_subreaper`): descendants of its
jobs that lose their parent are re-parented to it rather than to init, so it reaps
them when they end (:func:`reap`, :class:`Adopted`) instead of leaving zombies that
a container's init may never collect.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import time
from collections.abc import Iterable

from queuectl_core.worker.pids import exists

log = logging.getLogger("queuectl.worker")

PR_SET_CHILD_SUBREAPER = 36  # linux/prctl.h
REAP_WAIT = 1.0  # seconds to wait for a killed process to become reapable
SWEEP_EVERY = 1.0  # seconds between two looks for adopted processes that ended


def attempt_markers(worker_id: str, job_id: str, attempt: int) -> frozenset[bytes]:
    """The environment entries every process of this attempt carries."""
    return frozenset(
        (
            b"QUEUECTL_WORKER_ID=" + os.fsencode(worker_id),
            b"QUEUECTL_JOB_ID=" + os.fsencode(job_id),
            b"QUEUECTL_ATTEMPT=%d" % attempt,
        )
    )


def _environ(pid: int | str) -> list[bytes] | None:
    try:
        with open(f"/proc/{pid}/environ", "rb") as handle:
            return handle.read().split(b"\0")
    except OSError:  # gone, another user's
        return None


def attempt_processes(worker_id: str, job_id: str, attempt: int) -> list[int]:
    """This host's live processes of the attempt (a zombie has no environment left)."""
    markers = attempt_markers(worker_id, job_id, attempt)
    try:
        entries = [entry.name for entry in os.scandir("/proc") if entry.name.isdigit()]
    except OSError:
        return []
    found = []
    for name in entries:
        environ = _environ(name)
        if environ is not None and markers.issubset(environ):
            found.append(int(name))
    return found


def signal_processes(pids: Iterable[int], signum: int) -> list[int]:
    """Send ``signum`` to each pid; the ones it reached."""
    reached = []
    for pid in pids:
        try:
            os.kill(pid, signum)
        except OSError:
            continue
        reached.append(pid)
    return reached


def kill_attempt_processes(
    worker_id: str, job_id: str, attempt: int, spare: Iterable[int] = ()
) -> list[int]:
    """SIGKILL this host's processes of the attempt (but ``spare``); returns their pids."""
    targets = set(attempt_processes(worker_id, job_id, attempt)) - set(spare)
    killed = signal_processes(sorted(targets), signal.SIGKILL)
    if killed:
        log.warning(
            "job %s attempt %s: killed %d orphaned process(es)", job_id, attempt, len(killed)
        )
    return killed


def become_subreaper(on: bool) -> bool:
    """Make this process a child subreaper (Linux ``prctl``), or (``on`` false) no
    longer one; whether that worked."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(PR_SET_CHILD_SUBREAPER, int(on), 0, 0, 0)) == 0
    except (OSError, AttributeError):  # no libc prctl: orphans go to init, as before
        return False


def reap(pids: Iterable[int], wait: float = REAP_WAIT) -> None:
    """Reap those of ``pids`` that end as (re-parented) children of ours, waiting up
    to ``wait`` seconds in all. A killed process whose parent has not died yet is
    re-parented to us only then, so one that is not our child yet is waited for too,
    until it is gone (reaped by someone else) or the time is up."""
    pending = set(pids)
    deadline = time.monotonic() + wait
    while pending:
        for pid in list(pending):
            try:
                if os.waitpid(pid, os.WNOHANG)[0] == pid:
                    pending.discard(pid)
            except ChildProcessError:  # not ours (yet)
                if not exists(pid):
                    pending.discard(pid)
        if not pending or time.monotonic() >= deadline:
            return
        time.sleep(0.01)


class Adopted:
    """Processes of this worker's jobs that were re-parented to it; reaped as they end.

    Only processes seen alive carrying this worker's ``QUEUECTL_WORKER_ID`` are ever
    waited for, never another child (a plugin's, a handler's). :meth:`sweep` must run
    where no child of the worker's own is being waited for: between attempts.
    """

    def __init__(self, worker_id: str) -> None:
        self._marker = b"QUEUECTL_WORKER_ID=" + os.fsencode(worker_id)
        self._pids: set[int] = set()
        self._next = 0.0

    def sweep(self) -> None:
        """Note the job processes re-parented to us, and reap those that ended
        (at most once per :data:`SWEEP_EVERY` seconds)."""
        now = time.monotonic()
        if now < self._next:
            return
        self._next = now + SWEEP_EVERY
        for pid in _children():
            environ = _environ(pid)
            if environ is not None and self._marker in environ:
                self._pids.add(pid)
        reaped = set()
        for pid in self._pids:
            with contextlib.suppress(ChildProcessError):
                if os.waitpid(pid, os.WNOHANG)[0] != pid:
                    continue
            reaped.add(pid)
        self._pids -= reaped


def _children() -> set[int]:
    """This process's children, from ``/proc/self/task/*/children`` (empty without)."""
    children: set[int] = set()
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return children
    for task in tasks:
        try:
            with open(f"/proc/self/task/{task}/children", "rb") as handle:
                children.update(int(pid) for pid in handle.read().split())
        except OSError:
            continue
    return children
