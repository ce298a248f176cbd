"""One object per process, made on first use: what a plugin keeps for its events.

Plugins are imported by every command, but most commands emit no event: what a
plugin needs only for events (a thread, a buffer, a subprocess runner) is made by
the first event, not at import.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Lazy(Generic[T]):
    """``get()`` makes the object with ``factory`` the first time (once, whatever the
    threads) and returns that one after; ``made`` is it, or None while not made, for
    shutdown code that must not make it."""

    def __init__(self, factory: Callable[[], T]) -> None:
        self._factory = factory
        self._lock = threading.Lock()
        self.made: T | None = None

    def get(self) -> T:
        made = self.made
        if made is not None:
            return made
        with self._lock:
            if self.made is None:
                self.made = self._factory()
            return self.made
