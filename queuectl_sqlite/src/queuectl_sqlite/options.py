"""The backend's options (``[sqlite]`` in the config file, ``QUEUECTL_SQLITE_*``).

Options arrive as text; this module turns them into :class:`SqliteOptions` or a
one-line :class:`~queuectl_core.errors.ConfigError`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from queuectl_core.config import check_option_names, seconds_option
from queuectl_core.errors import ConfigError

SYNCHRONOUS_MODES = ("normal", "full", "extra")
KNOWN_OPTIONS = ("path", "synchronous", "busy_timeout")
DEFAULT_BUSY_TIMEOUT = 30.0


@dataclass(frozen=True)
class SqliteOptions:
    """Validated options of one SQLite database."""

    path: str  # absolute
    synchronous: str = "normal"
    busy_timeout: float = DEFAULT_BUSY_TIMEOUT  # seconds


def parse_options(options: Mapping[str, str]) -> SqliteOptions:
    """Validate option text; raises ``ConfigError`` naming the bad option."""
    check_option_names("sqlite", options, KNOWN_OPTIONS)
    path = str(options.get("path", "")).strip()
    if not path:
        raise ConfigError("sqlite option 'path' must name a database file")
    synchronous = str(options.get("synchronous", "normal")).strip().lower()
    if synchronous not in SYNCHRONOUS_MODES:
        raise ConfigError(
            f"sqlite option 'synchronous' must be one of {', '.join(SYNCHRONOUS_MODES)}, "
            f"got {synchronous!r}"
        )
    return SqliteOptions(
        path=os.path.abspath(os.path.expanduser(path)),
        synchronous=synchronous,
        busy_timeout=seconds_option(
            "sqlite", options, "busy_timeout", DEFAULT_BUSY_TIMEOUT, zero_allowed=True
        ),
    )
