"""Connecting to Redis (standalone or cluster) and turning its errors into ours.

A client retries a command a few times with exponential backoff when the
connection breaks, which rides out short blips and failovers; a longer outage
reaches the caller as a one-line :class:`~queuectl_core.errors.StorageUnavailableError`
(a worker retries those with backoff of its own). A server at ``maxmemory`` (with
the ``noeviction`` policy) refuses writes with ``OOM command not allowed``: that is
a :class:`~queuectl_core.errors.StorageFullError`, which a worker survives the same way.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import redis
import redis.exceptions as rx
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from queuectl_core.errors import (
    ConfigError,
    StorageError,
    StorageFullError,
    StorageUnavailableError,
)
from queuectl_redis.options import RedisOptions, redact

#: Retries of one command after the connection broke, and their backoff.
RETRIES = 3
BACKOFF_CAP, BACKOFF_BASE = 1.0, 0.05


def connect(options: RedisOptions) -> Any:
    """A client for the options' server (``decode_responses=False``: bytes stay bytes).

    Connections open lazily, so this does not fail for an unreachable server.
    """
    common: dict[str, Any] = {
        "decode_responses": False,
        "socket_timeout": options.socket_timeout,
        "socket_connect_timeout": options.connect_timeout,
        "retry": Retry(ExponentialBackoff(cap=BACKOFF_CAP, base=BACKOFF_BASE), RETRIES),
        "health_check_interval": 30,
    }
    try:
        if options.cluster:
            from redis.cluster import RedisCluster

            return RedisCluster.from_url(options.url, **common)
        return redis.Redis.from_url(options.url, **common)
    except (ValueError, rx.RedisError) as exc:
        raise ConfigError(f"redis option 'url' is invalid ({redact(options.url)}): {exc}") from None


def describe_error(exc: rx.RedisError, where: str) -> str:
    """One line about a Redis error, for a person."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    if _out_of_memory(exc):
        return (
            f"Redis at {where} is out of memory (used memory > 'maxmemory'), writes are "
            "refused; free memory or raise maxmemory (workers keep their results and retry)"
        )
    if isinstance(exc, rx.AuthenticationError | rx.AuthorizationError):
        return f"Redis at {where} refused the credentials: {text}"
    if isinstance(exc, rx.ConnectionError | rx.TimeoutError):
        return f"cannot reach Redis at {where}: {text}"
    return f"Redis error at {where}: {text}"


@contextmanager
def errors(where: str) -> Iterator[None]:
    """Turn redis-py errors into one-line ``StorageError``."""
    try:
        yield
    except rx.RedisError as exc:
        raise _error_class(exc)(describe_error(exc, where)) from exc


def _error_class(exc: rx.RedisError) -> type[StorageError]:
    if _out_of_memory(exc):
        return StorageFullError
    if isinstance(exc, rx.ConnectionError | rx.TimeoutError):
        return StorageUnavailableError
    return StorageError


def _out_of_memory(exc: rx.RedisError) -> bool:
    """``OOM command not allowed ...``: redis-py raises ``OutOfMemoryError`` for it,
    from a command or from inside a script (whose text then lacks the ``OOM``)."""
    return isinstance(exc, rx.OutOfMemoryError) or str(exc).startswith("OOM ")
