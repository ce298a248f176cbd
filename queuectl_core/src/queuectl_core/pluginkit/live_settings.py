"""The current runtime settings, read cheaply from outside a lifecycle hook.

Lifecycle hooks are handed ``settings`` (an opt-in argument), so they need none of
this. Code that runs elsewhere (a plugin's own thread, a command) can keep a
``LiveSettings``: it reads through the process's shared queue
(:func:`queuectl_core.queue.shared_queue`, the one hooks that ask for ``queue``
get) on the backend the process uses: the CLI's ``--db``/``--backend``/``--config``
when running under ``queuectl``, else the environment and config file, which is
how worker processes inherit their location. It asks for the settings *version* at
most once per ``check_every`` seconds and reloads the values only when that version
changed, so a ``config set`` reaches it within a second.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from typing import TYPE_CHECKING

from queuectl_core.config import Location, resolve
from queuectl_core.settings import Settings

if TYPE_CHECKING:
    from queuectl_core.queue import Queue

log = logging.getLogger("queuectl.plugins")


def current_location() -> Location:
    """The location chosen by the running ``queuectl`` command, else by env and config.

    Only a process that already loaded the CLI looks at it: a worker never imports it.
    """
    context = sys.modules.get("queuectl_core.cli.context")
    if context is None:
        return resolve()
    import click

    AppContext = context.AppContext
    ctx = click.get_current_context(silent=True)
    app = ctx.find_object(AppContext) if ctx is not None else None
    return app.location() if app is not None else resolve()


class LiveSettings:
    """A TTL cache of the stored settings, keyed by the settings version.

    One per plugin module. Thread-safe: hooks run on the thread that processes jobs
    and also in a worker's heartbeat thread (the events of the expired jobs its sweep
    recovers), so a lock keeps one thread at a time on the cache.
    """

    def __init__(self, check_every: float = 1.0) -> None:
        self.check_every = check_every
        self._queue: Queue | None = None
        self._settings: Settings | None = None
        self._checked_at = float("-inf")
        self._lock = threading.Lock()

    def get(self) -> Settings:
        """The settings, at most ``check_every`` seconds out of date (defaults if unreadable)."""
        with self._lock:
            now = time.monotonic()
            if self._settings is None or now - self._checked_at >= self.check_every:
                self._checked_at = now
                try:
                    self._refresh()
                except Exception as exc:  # keep what we have; defaults if nothing yet
                    log.warning("cannot read the runtime settings: %s", exc)
            return self._settings if self._settings is not None else Settings({})

    def close(self) -> None:
        """Forget the settings; the next :meth:`get` reads them again. The queue stays
        open: it is the process's, closed at exit."""
        with self._lock:
            self._queue = self._settings = None

    def _refresh(self) -> None:
        if self._queue is None:
            from queuectl_core.queue import shared_queue

            self._queue = shared_queue(current_location())
        storage = self._queue.storage
        if self._settings is None or storage.settings_version() != self._settings.version:
            self._settings = Settings(*storage.load_settings())
