"""Helpers for the callback plugin's tests (a unique module name: test dirs share sys.path)."""

from __future__ import annotations

from pathlib import Path

from queuectl_core.testing.pytest_plugin import wait_for


def wait_for_lines(path: Path, count: int, timeout: float = 10.0) -> list[str]:
    """The file's lines once it has ``count`` of them (fails after ``timeout``)."""

    def lines() -> list[str] | None:
        found = path.read_text().splitlines() if path.exists() else []
        return found if len(found) >= count else None

    return wait_for(lines, timeout, f"{count} lines in {path}")
