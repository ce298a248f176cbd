"""Fixtures: the real ``queuectl`` command over a SQLite file in tmp_path."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

QUEUECTL = str(Path(sys.executable).with_name("queuectl"))


@pytest.fixture
def queuectl(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run ``queuectl --db tmp_path/queue.db ARGS``; no user config leaks in."""
    for name in list(os.environ):
        if name.startswith("QUEUECTL_"):
            monkeypatch.delenv(name)
    for name in ("CONFIG", "DATA", "STATE"):
        monkeypatch.setenv(f"XDG_{name}_HOME", str(tmp_path / name.lower()))
    db = str(tmp_path / "queue.db")

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [QUEUECTL, "--db", db, *args], capture_output=True, text=True, timeout=60
        )
        if check:
            assert done.returncode == 0, done.stderr
        return done

    return run


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
