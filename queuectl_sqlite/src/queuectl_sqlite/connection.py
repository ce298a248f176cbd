"""Opening the database file and running transactions on it.

One connection per thread, in autocommit mode; every write transaction starts with
``BEGIN IMMEDIATE``, which takes the write lock up front and waits for it up to
``busy_timeout``. A deferred transaction that reads first and then writes could
find the snapshot stale and fail with "database is locked" immediately; an
immediate one never does. ``sqlite3`` errors leave this module as one-line
``StorageError`` or ``ConfigError``.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from queuectl_core.errors import ConfigError, QueuectlError, StorageError
from queuectl_core.private import FILE_MODE, make_dirs
from queuectl_sqlite.options import SqliteOptions
from queuectl_sqlite.schema import ensure_schema

MIN_SQLITE = (3, 24, 0)  # upserts
#: Connections inherited through ``fork``: never used nor closed in the child (that
#: is what SQLite asks), only kept referenced so garbage collection leaves them alone.
_INHERITED: list[sqlite3.Connection] = []


class Database:
    """An open SQLite file: per-thread connections and transactions."""

    def __init__(self, options: SqliteOptions) -> None:
        self.path = options.path
        self.options = options
        self._lock = threading.Lock()
        self._local = threading.local()
        self._connections: dict[threading.Thread, sqlite3.Connection] = {}
        self._pid = os.getpid()
        if sqlite3.sqlite_version_info < MIN_SQLITE:
            raise StorageError(
                f"queuectl needs SQLite {'.'.join(map(str, MIN_SQLITE))} or newer; "
                f"this Python has {sqlite3.sqlite_version}"
            )
        create_file(self.path)
        try:
            with self.errors():
                conn = self.connection()
                _use_wal(conn, self.path, options.busy_timeout)
                ensure_schema(conn, self.path)
        except BaseException:
            self.close()
            raise

    def connection(self) -> sqlite3.Connection:
        """This thread's connection, opened on first use."""
        if self._pid != os.getpid():  # forked: the parent's connections are not ours
            self._lock = threading.Lock()
            _INHERITED.extend(self._connections.values())
            self._connections = {}
            self._local = threading.local()
            self._pid = os.getpid()
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
            with self._lock:
                for thread in [t for t in self._connections if not t.is_alive()]:
                    self._connections.pop(thread).close()  # its thread ended
                self._connections[threading.current_thread()] = conn
        return conn

    def _connect(self) -> sqlite3.Connection:
        uri = "file:" + urllib.parse.quote(self.path) + "?mode=rw"
        with self.errors():
            conn = sqlite3.connect(
                uri,
                uri=True,
                timeout=self.options.busy_timeout,
                isolation_level=None,
                check_same_thread=False,  # only so that close() may close it
            )
            conn.execute(f"PRAGMA synchronous = {self.options.synchronous}")
        return conn

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: committed at the end, rolled back on any exception."""
        conn = self.connection()
        with self.errors():
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                _rollback(conn)
                raise

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: the statements inside see one snapshot."""
        conn = self.connection()
        with self.errors():
            conn.execute("BEGIN")
            try:
                yield conn
            finally:
                _rollback(conn)

    @contextmanager
    def errors(self) -> Iterator[None]:
        """Turn ``sqlite3`` errors into one-line queuectl errors."""
        try:
            yield
        except sqlite3.Error as exc:
            raise self._translate(exc) from exc

    def _translate(self, exc: sqlite3.Error) -> QueuectlError:
        message = str(exc)
        if "not a database" in message:
            return ConfigError(f"{self.path} is not a SQLite database")
        if "locked" in message or "busy" in message:
            return StorageError(
                f"{self.path} is locked by another process "
                f"(gave up after waiting up to {self.options.busy_timeout:g}s)"
            )
        if "unable to open" in message:
            return ConfigError(f"cannot open database {self.path}: {message}")
        return StorageError(f"SQLite error in {self.path}: {message}")

    def close(self) -> None:
        """Close every thread's connection; a later use opens new ones."""
        with self._lock:
            connections, self._connections = list(self._connections.values()), {}
            self._local = threading.local()
            if self._pid != os.getpid():
                _INHERITED.extend(connections)
                return
        for conn in connections:
            with suppress(sqlite3.Error):
                conn.close()


def create_file(path: str) -> None:
    """Create the database file (mode 0600) and its missing directories (0700).

    An existing file is never opened here: closing any descriptor of a file drops
    every POSIX lock this process holds on it, SQLite's included, and a second
    storage opened on a file this process already uses (a plugin's, say) would
    then let other processes checkpoint and reset the WAL under it: corruption.
    """
    try:
        make_dirs(os.path.dirname(path))
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR | os.O_CLOEXEC, FILE_MODE)
    except FileExistsError:
        if os.path.isdir(path):
            raise ConfigError(f"{path} is a directory, not a database file") from None
        return
    except OSError as exc:
        raise ConfigError(f"cannot open database {path}: {exc.strerror or exc}") from None
    os.close(fd)


def _use_wal(conn: sqlite3.Connection, path: str, busy_timeout: float) -> None:
    """Switch the file to WAL mode (a persistent setting) unless it is already."""
    if conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
        return
    deadline = time.monotonic() + busy_timeout
    while True:  # changing the journal mode may not wait for the busy timeout itself
        try:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            break
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.005)
    if mode != "wal":
        raise StorageError(f"{path}: SQLite refused WAL mode (journal mode stays {mode})")


def _rollback(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        with suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
