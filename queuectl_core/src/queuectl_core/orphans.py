"""Killing what is left on this host of an attempt whose worker is gone.

A shell job runs in a session of its own, so when its worker dies (SIGKILL, the
OOM killer) the job's processes live on and would run alongside its retry. Every
process of a shell job inherits ``QUEUECTL_WORKER_ID``, ``QUEUECTL_JOB_ID`` and
``QUEUECTL_ATTEMPT``; when an attempt is recovered as lost, the processes on this
host whose environment names that attempt are killed, including any the job moved
to sessions of their own. Linux only (it reads ``/proc``); elsewhere, and for
processes on other hosts, nothing is killed. A job that scrubs its environment
(``env -i``) escapes.
"""

from __future__ import annotations

import logging
import os
import signal

log = logging.getLogger("queuectl.worker")


def attempt_markers(worker_id: str, job_id: str, attempt: int) -> frozenset[bytes]:
    """The environment entries every process of this attempt carries."""
    return frozenset(
        (
            b"QUEUECTL_WORKER_ID=" + os.fsencode(worker_id),
            b"QUEUECTL_JOB_ID=" + os.fsencode(job_id),
            b"QUEUECTL_ATTEMPT=%d" % attempt,
        )
    )


def kill_attempt_processes(worker_id: str, job_id: str, attempt: int) -> list[int]:
    """SIGKILL this host's processes of the attempt; returns their pids."""
    markers = attempt_markers(worker_id, job_id, attempt)
    try:
        entries = [entry.name for entry in os.scandir("/proc") if entry.name.isdigit()]
    except OSError:
        return []
    killed = []
    for name in entries:
        try:
            with open(f"/proc/{name}/environ", "rb") as handle:
                environ = handle.read()
        except OSError:  # gone, or another user's
            continue
        if markers.issubset(environ.split(b"\0")):
            try:
                os.kill(int(name), signal.SIGKILL)
            except OSError:
                continue
            killed.append(int(name))
    if killed:
        log.warning(
            "job %s attempt %s: killed %d orphaned process(es)", job_id, attempt, len(killed)
        )
    return killed
