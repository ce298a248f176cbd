"""Private files and directories: what queuectl creates is its user's alone.

Directories are created with mode 0700 and files with 0600, whatever the umask
(a umask only ever removes permission bits, and these modes are set explicitly
rather than left to the defaults of 0777 and 0666). Existing files and directories
keep the mode they have.
"""

from __future__ import annotations

import errno
import os

DIRECTORY_MODE = 0o700
FILE_MODE = 0o600


def make_dirs(path: str | os.PathLike[str]) -> None:
    """Create ``path`` and every missing parent, each with mode 0700."""
    path = os.fspath(path)
    missing = []
    while path and not os.path.isdir(path):
        missing.append(path)
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    for directory in reversed(missing):
        try:
            os.mkdir(directory, DIRECTORY_MODE)
        except FileExistsError:
            if not os.path.isdir(directory):
                raise NotADirectoryError(
                    errno.ENOTDIR, os.strerror(errno.ENOTDIR), directory
                ) from None
            continue  # made meanwhile by another process: its mode is its own
        os.chmod(directory, DIRECTORY_MODE)  # a umask that removes owner bits


def open_append(path: str | os.PathLike[str]) -> int:
    """A descriptor appending to ``path``, created with mode 0600 if missing."""
    return os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)
