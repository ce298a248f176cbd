"""This host's name, as queuectl records and compares it.

Workers register under it, supervisors put its first label in worker ids, and
``queuectl worker stop`` signals only the workers registered under it (the others
see the stop request through the backend). ``QUEUECTL_HOSTNAME`` overrides the
system's name: for containers whose host names change, and for tests that run
several "hosts" on one machine.
"""

from __future__ import annotations

import os

ENV_VAR = "QUEUECTL_HOSTNAME"


def hostname() -> str:
    """``$QUEUECTL_HOSTNAME`` if set and not blank, else the system's host name."""
    return os.environ.get(ENV_VAR, "").strip() or os.uname().nodename


def short_hostname() -> str:
    """The first label of :func:`hostname` (``web1`` for ``web1.example.com``)."""
    return hostname().split(".")[0] or "localhost"
