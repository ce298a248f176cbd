"""Registers the ``sqlite`` backend.

Kept import-light: the CLI imports every plugin on start-up, so ``sqlite3`` and the
storage code load only when a database is opened.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from queuectl_core.config import data_file
from queuectl_core.plugins import hookimpl
from queuectl_core.storage import BackendSpec, Storage


def open_storage(options: Mapping[str, str]) -> Storage:
    """Open (creating if needed) the SQLite database the options name."""
    from queuectl_sqlite.storage import SqliteStorage

    return SqliteStorage.from_options(options)


def open_existing(options: Mapping[str, str]) -> Storage:
    """Open the SQLite database the options name; ``NoQueueError`` if there is no file."""
    from queuectl_sqlite.storage import SqliteStorage

    return SqliteStorage.from_options(options, create=False)


@hookimpl
def queuectl_register_storage(register: Callable[[BackendSpec], None]) -> None:
    register(
        BackendSpec(
            name="sqlite",
            factory=open_storage,
            location_option="path",
            description="one SQLite file on this machine, no server (options: path, "
            "synchronous = normal|full|extra, busy_timeout = seconds)",
            default_options={"path": data_file("queuectl.db")},
            open_existing=open_existing,
        )
    )
