"""Handing the backend location to a child process through an inherited pipe.

A worker (or the supervisor of ``worker start``) needs the backend's address and
options, a Redis password included. Environment variables would hand them on to
every job it runs, and command-line arguments are visible to every user in ``ps``.
So the parent writes the location as JSON into a pipe, the child inherits the read
end (``--location-fd N``), reads it to the end and closes it: nothing is left on
disk, in the environment or in the process list.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from queuectl_core.config import Location
from queuectl_core.errors import ConfigError

#: The option that names the inherited descriptor on the child's command line.
OPTION = "--location-fd"
#: The largest location sent: a pipe holds 64 KiB, and it is written before the child runs.
MAX_SIZE = 60_000


def send(location: Location) -> int:
    """A pipe's read end holding ``location``, for the child to inherit (``pass_fds``).

    The caller closes it once the child has started.
    """
    data = json.dumps(
        {
            "backend": location.backend,
            "options": location.options,
            "config_file": None if location.config_file is None else str(location.config_file),
        }
    ).encode()
    if len(data) > MAX_SIZE:
        raise ConfigError(f"the {location.backend} backend's options are too large to hand on")
    read_end, write_end = os.pipe()
    try:
        os.write(write_end, data)  # fits in the pipe's buffer: never blocks
    except BaseException:
        os.close(read_end)
        raise
    finally:
        os.close(write_end)
    return read_end


def receive(fd: int) -> Location:
    """Read the location :func:`send` wrote, closing ``fd``; ``ConfigError`` if unreadable."""
    try:
        with os.fdopen(fd, "rb") as pipe:
            fields = json.loads(pipe.read())
        config_file = fields["config_file"]
        return Location(
            backend=str(fields["backend"]),
            options={str(key): str(value) for key, value in fields["options"].items()},
            config_file=None if config_file is None else Path(config_file),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(f"cannot read the backend location from descriptor {fd}: {exc}") from None


def take(fd: int | None) -> Location:
    """A worker process's location: read from ``fd``, else resolved from the
    environment and config file as usual."""
    from queuectl_core.config import resolve

    return resolve() if fd is None else receive(fd)
