"""The current runtime settings, read cheaply from outside a lifecycle hook.

Lifecycle hooks are handed ``settings`` (an opt-in argument), so they need none of
this. Code that runs elsewhere (a plugin's own thread, a command) can keep a
``LiveSettings``: it opens its own connection to the backend the process uses (the
CLI's ``--db``/``--backend``/``--config`` when running under ``queuectl``, else the
environment and config file, which is how worker processes inherit their
location). It asks for the settings *version* at most once per ``check_every``
seconds and reloads the values only when that version changed, so a ``config set``
reaches it within a second.
"""

from __future__ import annotations

import logging
import sys
import threading
import time

from queuectl_core.config import Location, resolve
from queuectl_core.settings import Settings
from queuectl_core.storage import Storage

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
    recovers), so a lock keeps one thread at a time on the cache and its connection.
    """

    def __init__(self, check_every: float = 1.0) -> None:
        self.check_every = check_every
        self._storage: Storage | None = None
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
                    self._close()
            return self._settings if self._settings is not None else Settings({})

    def close(self) -> None:
        """Close the connection; the next :meth:`get` opens a new one."""
        with self._lock:
            self._close()

    def _close(self) -> None:
        storage, self._storage = self._storage, None
        if storage is not None:
            try:
                storage.close()
            except Exception:
                log.debug("cannot close the settings storage", exc_info=True)

    def _refresh(self) -> None:
        if self._storage is None:
            self._storage = current_location().open()
        if self._settings is None or self._storage.settings_version() != self._settings.version:
            self._settings = Settings(*self._storage.load_settings())
