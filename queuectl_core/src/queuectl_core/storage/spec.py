"""How a plugin registers a storage backend: :class:`BackendSpec`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from queuectl_core.storage.base import Storage


@dataclass(frozen=True)
class BackendSpec:
    """How a plugin registers a storage backend."""

    name: str
    factory: Callable[[Mapping[str, str]], Storage]  # options -> open storage
    location_option: str  # the option that ``--db``/``QUEUECTL_DB`` set, e.g. "path"
    description: str = ""
    default_options: Mapping[str, str] = field(default_factory=dict)
    #: False for a backend whose data lives inside one process (an in-memory one):
    #: ``worker start`` and ``worker run --count N`` (N > 1) refuse it at once.
    shared: bool = True
    #: options -> open storage, only if its queue exists: raises
    #: :class:`~queuectl_core.errors.NoQueueError` and creates nothing otherwise.
    #: Reading commands open storage this way. ``None``: every location holds a
    #: queue, and ``factory`` is used.
    open_existing: Callable[[Mapping[str, str]], Storage] | None = None
