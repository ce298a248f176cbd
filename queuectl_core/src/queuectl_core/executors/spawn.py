"""Starting a job's process: ``os.posix_spawn`` with stdout and stderr on pipes.

``subprocess.Popen`` costs about 150 µs of Python per call on top of the spawn
itself, which for trivial shell jobs is a large share of a worker's time per job.
``os.posix_spawn`` (vfork and exec in the C library) does the same work here:

- stdin is ``/dev/null``; stdout and stderr are the write ends of two pipes;
- the child leads a new session (and process group), so a stop reaches every
  process it starts;
- ``SIGPIPE`` and ``SIGXFSZ``, which Python ignores, are reset to their defaults
  and no signal is blocked, as ``Popen``'s ``restore_signals`` does;
- no other descriptor is inherited: Python opens its own non-inheritable, and
  :func:`spawn` makes any inherited one non-inheritable once, on first use (what
  ``Popen``'s ``close_fds`` does per call).
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Mapping, Sequence

_RESET_SIGNALS = frozenset(
    getattr(signal, name) for name in ("SIGPIPE", "SIGXFSZ") if hasattr(signal, name)
)
_sealed = False


class Child:
    """A spawned process, its two output pipes (read ends), and its exit status."""

    def __init__(self, pid: int, stdout: int, stderr: int) -> None:
        self.pid = pid
        self.stdout = stdout
        self.stderr = stderr
        self.returncode: int | None = None  # as ``Popen``: -N when killed by signal N

    def poll(self) -> int | None:
        """The exit status if the process has ended (reaping it), else ``None``."""
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self) -> int:
        """Wait for the process to end and reap it."""
        if self.returncode is None:
            _, status = os.waitpid(self.pid, 0)
            self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def close(self) -> None:
        """Close the read ends of the pipes."""
        for fd in (self.stdout, self.stderr):
            with contextlib.suppress(OSError):  # already closed
                os.close(fd)
        self.stdout = self.stderr = -1


def spawn(argv: Sequence[str], env: Mapping[bytes, bytes]) -> Child:
    """Start ``argv`` (``argv[0]`` is a path) in a session of its own; raises ``OSError``."""
    _seal_inherited_descriptors()
    out_read, out_write = os.pipe()
    err_read, err_write = os.pipe()
    try:
        pid = os.posix_spawn(
            argv[0],
            list(argv),
            env,
            file_actions=[
                (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                (os.POSIX_SPAWN_DUP2, out_write, 1),
                (os.POSIX_SPAWN_DUP2, err_write, 2),
            ],
            setsid=True,
            setsigdef=_RESET_SIGNALS,
            setsigmask=(),
        )
    except BaseException:
        os.close(out_read)
        os.close(err_read)
        raise
    finally:
        os.close(out_write)
        os.close(err_write)
    return Child(pid, out_read, err_read)


def _seal_inherited_descriptors() -> None:
    """Make every descriptor above 2 that this process inherited non-inheritable."""
    global _sealed
    if _sealed:
        return
    _sealed = True
    try:
        names = os.listdir("/proc/self/fd")
    except OSError:  # no /proc: descriptors above 2 are left as they are
        return
    for name in names:
        fd = int(name)
        if fd > 2:
            with contextlib.suppress(OSError):  # closed meanwhile (the listing's own)
                os.set_inheritable(fd, False)
