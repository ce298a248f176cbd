"""The current runtime settings, read cheaply from inside lifecycle hooks.

Hooks receive no settings, so the plugin keeps its own connection to the backend
the process uses: the running ``queuectl`` command's ``--db``/``--backend``/
``--config``, else the environment and config file (how detached workers find
theirs). It asks for the settings *version* at most once per ``check_every``
seconds and reloads the values only when the version changed, so a ``config set``
reaches running workers within a second. Hooks may run in a worker's heartbeat
thread as well as its main thread, hence the lock.
"""

from __future__ import annotations

import logging
import threading
import time

from queuectl_core.config import Location, resolve
from queuectl_core.settings import Settings
from queuectl_core.storage import Storage

log = logging.getLogger("queuectl.webhook")


def current_location() -> Location:
    """The location chosen by the running ``queuectl`` command, else by env and config."""
    import click

    from queuectl_core.cli.context import AppContext

    ctx = click.get_current_context(silent=True)
    app = ctx.find_object(AppContext) if ctx is not None else None
    return app.location() if app is not None else resolve()


class SettingsSource:
    """A cache of the stored settings, checked against the settings version."""

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
                except Exception as exc:  # keep what we have
                    log.warning("cannot read the webhook settings: %s", exc)
                    self._close()
            return self._settings if self._settings is not None else Settings({})

    def close(self) -> None:
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
