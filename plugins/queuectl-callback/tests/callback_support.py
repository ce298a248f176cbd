"""Helpers for the callback plugin's tests (a unique module name: test dirs share sys.path)."""

from __future__ import annotations

import time
from pathlib import Path


def wait_for_lines(path: Path, count: int, timeout: float = 10.0) -> list[str]:
    """The file's lines once it has ``count`` of them (fails after ``timeout``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            lines = path.read_text().splitlines()
            if len(lines) >= count:
                return lines
        time.sleep(0.05)
    raise AssertionError(f"{path} did not get {count} lines in {timeout}s")
