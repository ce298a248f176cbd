"""Registers the ``redis`` backend.

Kept import-light: the CLI imports every plugin on start-up, so redis-py and the
storage code load only when a namespace is opened.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from queuectl_core.plugins import hookimpl
from queuectl_core.storage import BackendSpec, Storage


def open_storage(options: Mapping[str, str]) -> Storage:
    """Connect to the Redis server and namespace the options name."""
    from queuectl_redis.storage import RedisStorage

    return RedisStorage.from_options(options)


def open_existing(options: Mapping[str, str]) -> Storage:
    """Connect as ``open_storage`` does; ``NoQueueError`` if nothing was ever stored in
    the namespace (see :meth:`RedisStorage.exists`)."""
    from queuectl_core.errors import NoQueueError
    from queuectl_redis.storage import RedisStorage

    storage = RedisStorage.from_options(options)
    try:
        found = storage.exists()
    except BaseException:
        storage.close()
        raise
    if not found:
        storage.close()
        raise NoQueueError(storage.describe())
    return storage


@hookimpl
def queuectl_register_storage(register: Callable[[BackendSpec], None]) -> None:
    register(
        BackendSpec(
            name="redis",
            factory=open_storage,
            location_option="url",
            description="a Redis server or cluster shared by many hosts (options: url = "
            "redis://|rediss://|unix://..., prefix, cluster = true|false, socket_timeout, "
            "connect_timeout)",
            default_options={"url": "redis://127.0.0.1:6379/0"},
            open_existing=open_existing,
        )
    )
