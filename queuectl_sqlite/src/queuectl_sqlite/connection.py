"""Opening the database file and running transactions on it.

One connection per thread, in autocommit mode; every write transaction starts with
``BEGIN IMMEDIATE``, which takes the write lock up front and waits for it up to
``busy_timeout``. A deferred transaction that reads first and then writes could
find the snapshot stale and fail with "database is locked" immediately; an
immediate one never does. ``sqlite3`` errors leave this module as one-line
``StorageError`` (``StorageUnavailableError`` for a lock, ``StorageFullError`` for a
full disk) or ``ConfigError``.

A full disk: the write-ahead log may be what filled it (a log that no checkpoint
could reset keeps growing), so a write that fails for space moves the log into the
database and cuts it to nothing (``wal_checkpoint(TRUNCATE)``) before the error
leaves; the next try then often fits, and once space is freed the queue resumes at
the next write instead of the log growing back into the freed space. In between,
``journal_size_limit`` cuts the log back to ``WAL_LIMIT`` each time it starts over,
and :meth:`Database.trim_wal` (each worker heartbeat) has a log that outgrew it
checkpointed, so that it starts over.
"""

from __future__ import annotations

import functools
import logging
import os
import sqlite3
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any, TypeVar, cast

from queuectl_core import stored
from queuectl_core.errors import (
    ConfigError,
    NoQueueError,
    QueuectlError,
    StorageError,
    StorageFullError,
    StorageUnavailableError,
)
from queuectl_core.private import FILE_MODE, make_dirs
from queuectl_sqlite.options import SqliteOptions
from queuectl_sqlite.schema import ensure_schema

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])
# An id read from bytes that are not UTF-8 binds as those bytes (see ``rows.ID``);
# plain ``str`` values never reach an adapter, so binding them costs nothing more.
sqlite3.register_adapter(stored.NotUtf8, lambda text: text.raw)
MIN_SQLITE = (3, 24, 0)  # upserts
#: Bytes the write-ahead log is cut back to when it starts over (``journal_size_limit``);
#: a log above it is checkpointed at the next worker heartbeat.
WAL_LIMIT = 256 * 1024
#: Milliseconds a checkpoint after a full disk waits for other connections.
CHECKPOINT_WAIT_MS = 1000
#: SQLite's result code for a full disk (``sqlite3.SQLITE_FULL`` from Python 3.11).
SQLITE_FULL = 13
#: Free bytes below which a failed write counts as a full disk whatever SQLite says.
NEARLY_FULL = 64 * 1024
#: Connections inherited through ``fork``: never used nor closed in the child (that
#: is what SQLite asks), only kept referenced so garbage collection leaves them alone.
_INHERITED: list[sqlite3.Connection] = []


class Database:
    """An open SQLite file: per-thread connections and transactions."""

    def __init__(self, options: SqliteOptions, *, create: bool = True) -> None:
        """Open the file, creating it (and its schema) unless ``create=False``: then
        a missing file raises ``NoQueueError``."""
        self.path = options.path
        self.options = options
        self._lock = threading.Lock()
        self._local = threading.local()
        self._connections: dict[threading.Thread, sqlite3.Connection] = {}
        self._pid = os.getpid()
        self._was_full = False  # a write failed for space since the last trim_wal
        if sqlite3.sqlite_version_info < MIN_SQLITE:
            raise StorageError(
                f"queuectl needs SQLite {'.'.join(map(str, MIN_SQLITE))} or newer; "
                f"this Python has {sqlite3.sqlite_version}"
            )
        if create:
            create_file(self.path)
        else:
            require_file(self.path)
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
            conn.execute(f"PRAGMA journal_size_limit = {WAL_LIMIT}")
        return conn

    def read_text_leniently(self, exc: BaseException) -> bool:
        """After ``exc``: if it is sqlite3's failure to decode a text value that is not
        UTF-8, make this thread's connection read such text marked as
        :class:`~queuectl_core.stored.NotUtf8` instead, and return True (try again).

        Only then: a Python ``text_factory`` costs about 5% of a claim.
        """
        cause = exc.__cause__ if isinstance(exc, QueuectlError) else exc
        if not isinstance(cause, sqlite3.OperationalError) or "decode" not in str(cause):
            return False
        conn = self.connection()
        if conn.text_factory is stored.text:
            return False
        conn.text_factory = stored.text
        return True

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: committed at the end, rolled back on any exception."""
        conn = self.connection()
        with self.errors():
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException as exc:
                _rollback(conn)
                if isinstance(exc, sqlite3.Error) and self._disk_full(exc):
                    self._was_full = not self._empty_wal(conn)
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

    def trim_wal(self) -> None:
        """Keep the write-ahead log small; call it now and then (never in a transaction).

        After a write failed for space, until it succeeds: empty the log. Else, if the
        log outgrew ``WAL_LIMIT``: a passive checkpoint (it never waits), after which
        the next write starts the log over and cuts it back to ``WAL_LIMIT``.
        """
        if self._was_full:
            self._was_full = not self._empty_wal(self.connection())
            return
        try:
            if os.stat(self.path + "-wal").st_size <= WAL_LIMIT:
                return
            self.connection().execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except (OSError, sqlite3.Error) as exc:  # a later call tries again
            log.debug("cannot checkpoint %s: %s", self.path, exc)

    def _empty_wal(self, conn: sqlite3.Connection) -> bool:
        """Move the write-ahead log into the database and cut it to nothing, which
        gives its space back; whether that worked (a failure changes nothing)."""
        try:
            conn.execute(f"PRAGMA busy_timeout = {CHECKPOINT_WAIT_MS}")
            try:
                busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            finally:
                conn.execute(f"PRAGMA busy_timeout = {round(self.options.busy_timeout * 1000)}")
        except sqlite3.Error as exc:
            log.debug("cannot empty the write-ahead log of %s: %s", self.path, exc)
            return False
        return not busy

    def _disk_full(self, exc: sqlite3.Error) -> bool:
        """Whether ``exc`` says the disk is full: SQLITE_FULL, or an I/O error while
        the filesystem has (next to) no free space."""
        code = getattr(exc, "sqlite_errorcode", None)  # Python 3.11+
        if (code is not None and code & 0xFF == SQLITE_FULL) or "disk is full" in str(exc):
            return True
        if "disk I/O error" not in str(exc):
            return False
        try:
            stat = os.statvfs(os.path.dirname(self.path))
        except OSError:
            return False
        return stat.f_bavail * stat.f_frsize < NEARLY_FULL

    def _translate(self, exc: sqlite3.Error) -> QueuectlError:
        message = str(exc)
        if "not a database" in message:
            return ConfigError(f"{self.path} is not a SQLite database")
        if self._disk_full(exc):
            return StorageFullError(
                f"cannot write {self.path}: disk is full; free space on its filesystem "
                "(workers keep their results and retry)"
            )
        if "locked" in message or "busy" in message:
            return StorageUnavailableError(
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


def rereads_text(method: F) -> F:
    """Run a storage method again, reading text leniently, when a stored text value was
    not UTF-8 (see :meth:`Database.read_text_leniently`); its object has ``_db``."""

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except (QueuectlError, sqlite3.OperationalError) as exc:
            if not self._db.read_text_leniently(exc):
                raise
        return method(self, *args, **kwargs)

    return cast(F, wrapper)


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


def require_file(path: str) -> None:
    """Raise ``NoQueueError`` unless the database file exists (nothing is created)."""
    if os.path.isdir(path):
        raise ConfigError(f"{path} is a directory, not a database file")
    if not os.path.exists(path):
        raise NoQueueError(path)


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
