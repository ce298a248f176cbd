"""The Redis programs the test servers run, and which of them are missing (no redis-py
import here: the pytest plugin checks for them on every run)."""

from __future__ import annotations

import shutil

SERVER_BINARY = "redis-server"
CLI_BINARY = "redis-cli"


def missing_binaries(*names: str) -> list[str]:
    """The given programs that are not on PATH."""
    return [name for name in names if shutil.which(name) is None]
