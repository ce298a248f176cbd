"""The job bodies every Python system runs, so that all do the same work.

rq imports them by path (``benchmarks.jobs.noop``), huey wraps them as tasks, and
queuectl's pickup jobs name ``benchmarks.jobs:stamp`` (queuectl's own no-op jobs use
its built-in ``noop`` handler).
"""

from __future__ import annotations

import subprocess
import time


def noop() -> None:
    """Nothing: what is measured is the queue's own cost per job."""


def shell() -> None:
    """Run ``sh -c true`` in a child process, as a shell job does."""
    subprocess.run(["sh", "-c", "true"], check=True)


def stamp() -> float:
    """The wall-clock time at which the job started (for pickup latency)."""
    return time.time()
