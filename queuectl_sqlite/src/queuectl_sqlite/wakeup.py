"""Waking idle workers the moment work arrives, without polling.

Every idle worker binds a Unix datagram socket (mode 0600) in the database's wake-up
directory (``<db>-wake/``, mode 0700). After a commit that makes a job ready, the
committing process sends one byte to every socket there: a sleeping worker's
``poll`` returns at once. Sends never block: a full socket buffer means a wake-up is
already pending. A socket nobody listens on any more (its worker died) is
removed; the last waiter to leave removes the directory. When the directory path
is too long for a socket address, a private directory under ``/tmp`` named after
the database's real path is used instead.
"""

from __future__ import annotations

import contextlib
import errno
import math
import os
import re
import select
import stat
import sys
from typing import TYPE_CHECKING

from queuectl_core.private import FILE_MODE
from queuectl_core.storage import Waiter

if TYPE_CHECKING:
    import socket

# hashlib and socket are imported where they are used: every command that opens the
# database builds a Notifier, and only the few that enqueue or wait need a socket.

#: Longest socket path (``sun_path`` less its terminating NUL).
MAX_SOCKET_PATH = 103 if sys.platform == "darwin" else 107
#: Bytes reserved for a socket's file name when choosing the directory.
MAX_NAME = 48
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
_SUFFIX = ".sock"


def wake_dir(db_path: str) -> str:
    """The wake-up directory of a database; every process computes the same one."""
    real = os.path.realpath(db_path)
    beside = real + "-wake"
    if len(os.fsencode(beside)) + 1 + MAX_NAME <= MAX_SOCKET_PATH:
        return beside
    return f"/tmp/queuectl-{os.getuid()}-{_digest(os.fsencode(real))}"


def _digest(data: bytes) -> str:
    """16 hex digits naming ``data`` (SHA-1: a name, not a secret)."""
    import hashlib

    return hashlib.sha1(data, usedforsecurity=False).hexdigest()[:16]


def prepare_dir(directory: str) -> None:
    """Create the directory (0700); ``OSError`` if it exists but is not ours alone."""
    with contextlib.suppress(FileExistsError):
        os.mkdir(directory, 0o700)
    info = os.lstat(directory)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise PermissionError(
            errno.EPERM, "not a directory owned by this user; not used for wake-ups", directory
        )
    if stat.S_IMODE(info.st_mode) != 0o700:
        os.chmod(directory, 0o700)


def socket_name(worker_id: str) -> str:
    """A file name for a worker's socket: the id made safe and short."""
    name = _UNSAFE.sub("_", worker_id)
    if len(name) > 32 or not name:
        raw = worker_id.encode("utf-8", "surrogatepass")
        name = f"{name[:15]}-{_digest(raw)}"
    return name


class Notifier:
    """Sends wake-ups to every worker waiting on one database."""

    def __init__(self, directory: str) -> None:
        self.directory = directory
        self._sock: socket.socket | None = None  # made by the first wake-up sent

    def notify(self) -> None:
        """Wake every waiting worker; never raises, never blocks."""
        try:
            with os.scandir(self.directory) as entries:
                targets = [entry.path for entry in entries if entry.name.endswith(_SUFFIX)]
        except OSError:  # no worker ever waited here
            return
        if not targets:
            return
        sock = self._sock = self._sock or _datagram_socket()
        for target in targets:
            send_wakeup(sock, target)

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()


def _datagram_socket() -> socket.socket:
    """A non-blocking Unix datagram socket."""
    import socket

    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.setblocking(False)
    return sock


def send_wakeup(sock: socket.socket, target: str) -> bool:
    """Send one byte to ``target``; remove it if nobody listens. Whether it was alive."""
    try:
        sock.sendto(b"!", target)
    except OSError as exc:
        if exc.errno in (errno.ECONNREFUSED, errno.ENOENT):
            with contextlib.suppress(OSError):
                os.unlink(target)
            return False
        # EAGAIN, ENOBUFS: its buffer is full, so a wake-up is pending already
    return True


class SocketWaiter(Waiter):
    """An idle worker's socket in the wake-up directory."""

    def __init__(self, directory: str, worker_id: str) -> None:
        self.directory = directory
        self._sock = _datagram_socket()
        try:
            for tries_left in reversed(range(3)):
                try:
                    prepare_dir(directory)
                    self.path = self._bind(directory, socket_name(worker_id))
                    break
                except FileNotFoundError:  # the last waiter removed the directory
                    if not tries_left:
                        raise
        except BaseException:
            self._sock.close()
            raise
        self._poll = select.poll()
        self._poll.register(self._sock.fileno(), select.POLLIN)
        self._closed = False

    def _bind(self, directory: str, name: str) -> str:
        path = os.path.join(directory, name + _SUFFIX)
        try:
            return self._bind_private(path)
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
        with _datagram_socket() as probe:
            alive = send_wakeup(probe, path)  # a dead one is removed here
        if alive:  # the same worker id waits twice: take a name of our own
            path = os.path.join(directory, f"{name}-{os.urandom(4).hex()}{_SUFFIX}")
        return self._bind_private(path)

    def _bind_private(self, path: str) -> str:
        """Bind the socket at ``path`` and make it 0600 (bind follows the umask)."""
        self._sock.bind(path)
        os.chmod(path, FILE_MODE)
        return path

    def wait(self, timeout: float) -> None:
        """Sleep until a wake-up arrives or ``timeout`` seconds pass."""
        if self._closed:
            super().wait(timeout)
            return
        if self._poll.poll(math.ceil(max(0.0, timeout) * 1000)):
            self._drain()

    def _drain(self) -> None:
        while True:
            try:
                self._sock.recv(64)
            except OSError:  # BlockingIOError: nothing left
                return

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._sock.close()
        with contextlib.suppress(OSError):
            os.unlink(self.path)
        with contextlib.suppress(OSError):  # only once empty: the last waiter tidies up
            os.rmdir(self.directory)
