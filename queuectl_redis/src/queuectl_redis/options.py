"""The backend's options (``[redis]`` in the config file, ``QUEUECTL_REDIS_*``).

Options arrive as text; this module turns them into :class:`RedisOptions` or a
one-line :class:`~queuectl_core.errors.ConfigError`. The password, ACL user and
database number are part of the URL, as redis-py reads them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from queuectl_core.config import check_option_names, seconds_option
from queuectl_core.errors import ConfigError

KNOWN_OPTIONS = ("url", "prefix", "cluster", "socket_timeout", "connect_timeout")
SCHEMES = ("redis", "rediss", "unix")
DEFAULT_URL = "redis://127.0.0.1:6379/0"
DEFAULT_PREFIX = "queuectl"
DEFAULT_SOCKET_TIMEOUT = 10.0
DEFAULT_CONNECT_TIMEOUT = 5.0
_BOOLEANS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
#: A prefix may not contain the braces of a hash tag nor whitespace.
_PREFIX = re.compile(r"[^{}\s]+")
_NETLOC_END = re.compile(r"[/?#]")
_QUERY_PASSWORD = re.compile(r"([?&]password=)[^&#]*")


@dataclass(frozen=True)
class RedisOptions:
    """Validated options of one Redis namespace."""

    url: str = DEFAULT_URL
    prefix: str = DEFAULT_PREFIX
    cluster: bool = False
    socket_timeout: float = DEFAULT_SOCKET_TIMEOUT  # seconds, per command
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT  # seconds


def parse_options(options: Mapping[str, str]) -> RedisOptions:
    """Validate option text; raises ``ConfigError`` naming the bad option."""
    check_option_names("redis", options, KNOWN_OPTIONS)
    url = str(options.get("url", DEFAULT_URL)).strip()
    scheme = url.partition("://")[0]
    if scheme not in SCHEMES:
        raise ConfigError(
            f"redis option 'url' must start with redis://, rediss:// or unix://, "
            f"got {redact(url)!r}"
        )
    prefix = str(options.get("prefix", DEFAULT_PREFIX)).strip()
    if not _PREFIX.fullmatch(prefix):
        raise ConfigError(
            f"redis option 'prefix' must be non-empty, without braces or spaces, got {prefix!r}"
        )
    cluster_text = str(options.get("cluster", "false")).strip().lower()
    if cluster_text not in _BOOLEANS:
        raise ConfigError(f"redis option 'cluster' must be true or false, got {cluster_text!r}")
    if _BOOLEANS[cluster_text] and scheme == "unix":
        raise ConfigError("redis option 'cluster' needs a redis:// or rediss:// url")
    return RedisOptions(
        url=url,
        prefix=prefix,
        cluster=_BOOLEANS[cluster_text],
        socket_timeout=seconds_option("redis", options, "socket_timeout", DEFAULT_SOCKET_TIMEOUT),
        connect_timeout=seconds_option(
            "redis", options, "connect_timeout", DEFAULT_CONNECT_TIMEOUT
        ),
    )


def redact(url: str) -> str:
    """The URL without its password (user names stay: they help find the account)."""
    scheme, separator, rest = url.partition("://")
    if not separator:
        return url
    end = _NETLOC_END.search(rest)
    netloc, path = (rest[: end.start()], rest[end.start() :]) if end else (rest, "")
    credentials, at, address = netloc.rpartition("@")
    user, colon, _ = credentials.partition(":")
    if at and colon:
        netloc = f"{user}:***@{address}"
    path = _QUERY_PASSWORD.sub(r"\1***", path)
    return f"{scheme}://{netloc}{path}"
