"""Processes by pid: whether one runs, whether it is queuectl's, sending it a signal."""

from __future__ import annotations

import logging
import os
from pathlib import Path

log = logging.getLogger("queuectl.supervisor")


def send_signal(pid: int, signum: int) -> None:
    """Send ``signum`` to ``pid``; a process that is gone is no error."""
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass
    except PermissionError:  # another user's: its heartbeat brings it the stop request
        log.warning("no permission to signal pid %d", pid)


def runs_queuectl(pid: int) -> bool | None:
    """Whether the process's command line mentions queuectl; ``None`` without ``/proc``."""
    try:
        return b"queuectl" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None


def may_signal(pid: int, fresh: bool) -> bool:
    """Whether ``pid`` is a live queuectl process (a reused pid is never signalled);
    where ``/proc`` cannot tell, a ``fresh`` registry entry vouches for it."""
    if not pid_alive(pid):
        return False
    recognised = runs_queuectl(pid)
    return fresh if recognised is None else recognised


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid runs (a zombie child of ours is reaped: gone)."""
    if pid <= 0:
        return False
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:  # not our child: ask the kernel
        pass
    return exists(pid)


def exists(pid: int) -> bool:
    """Whether ``pid`` exists, a zombie included."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True
